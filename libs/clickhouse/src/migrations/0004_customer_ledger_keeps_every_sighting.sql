-- The customer ledger kept one row per (customer, order, instant): a voucher.redeemed and an
-- order.completed of one order stamped with the same millisecond but a different amount or
-- currency collapsed when parts merged, and which one survived was not defined, so a customer's
-- lifetime value could change with no new event (a differential test against docs/metrics.md
-- caught it). customer_ledger keys by amount and currency too: only identical sightings collapse,
-- and readers pick an order's earliest sighting (ties: smaller amount, then currency) themselves.
--
-- The new view is created before the backfill and the old view dropped after it. `migrate` waits
-- after creating a view until every INSERT that was already running has finished (such an insert
-- feeds only the views that existed when it started), so each row reaches the view or the
-- backfill; one that reaches both is the same row twice, which the ReplacingMergeTree merges and
-- readers (one sighting per order) ignore anyway. In cluster mode the backfill goes through the
-- Distributed table, so each row lands on its account's shard. The old `customer_orders` table
-- is no longer read or written; drop it by hand once no older query replica runs.
CREATE TABLE IF NOT EXISTS {db}.customer_ledger (
    account_id String,
    livemode UInt8,
    customer_id String,
    order_id String,
    time DateTime,
    time_ms UInt16,
    order_amount Int64,
    currency String
) ENGINE = ReplacingMergeTree
ORDER BY (account_id, livemode, customer_id, order_id, time, time_ms, order_amount, currency);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.customer_ledger_mv TO {db}.customer_ledger AS
SELECT account_id, livemode, customer_id, order_id, time, time_ms, order_amount, currency
FROM {db}.voucher_events
WHERE type IN ('voucher.redeemed', 'order.completed');

INSERT INTO {db}.customer_ledger
SELECT account_id, livemode, customer_id, order_id, time, time_ms, order_amount, currency
FROM {db}.voucher_events
WHERE type IN ('voucher.redeemed', 'order.completed');

DROP TABLE IF EXISTS {db}.customer_orders_mv;
