-- Contract v1 storage. Every statement is idempotent (IF NOT EXISTS) so that two instances
-- starting at once, or a re-run after a partial failure, converge on the same schema.
-- Written for ClickHouse 18.16 and current releases alike (no TTL, CODEC, LowCardinality, DateTime64).

-- Raw events: one row per accepted event, with where it came from in Kafka.
CREATE TABLE IF NOT EXISTS {db}.voucher_events (
    event_id String,
    type Enum8('voucher.validated' = 1, 'voucher.redeemed' = 2, 'voucher.redemption_rolled_back' = 3, 'order.completed' = 4),
    source String,
    time DateTime,
    time_ms UInt16,
    account_id String,
    livemode UInt8,
    voucher_id String,
    voucher_code String,
    customer_id String,
    customer_segment String,
    customer_region String,
    order_id String,
    order_amount Int64,
    discount_amount Int64,
    currency String,
    redemption_id String,
    result String,
    reason String,
    kafka_topic String,
    kafka_partition UInt32,
    kafka_offset UInt64,
    ingested_at DateTime
) ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (account_id, livemode, voucher_id, time, event_id);

-- Every stored event id, keyed by the event's own day: ingest looks a batch's (day, id) pairs up
-- here before inserting, so a redelivered or re-sent event is dropped however late it comes.
CREATE TABLE IF NOT EXISTS {db}.event_ids (
    event_date Date,
    event_id String,
    ingested_at DateTime
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (event_date, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.event_ids_mv TO {db}.event_ids AS
SELECT toDate(time) AS event_date, event_id, ingested_at
FROM {db}.voucher_events;

-- Per voucher and currency, in 15-minute buckets: fine enough for any time zone's day boundary
-- (offsets such as +05:30 and +05:45 included), coarse enough that 90 days is 8,640 rows.
CREATE TABLE IF NOT EXISTS {db}.voucher_stats_15m (
    account_id String,
    livemode UInt8,
    voucher_id String,
    currency String,
    bucket DateTime,
    redeemed AggregateFunction(sum, Int64),
    rolled_back AggregateFunction(sum, Int64),
    redeemed_discount AggregateFunction(sum, Int64),
    rolled_back_discount AggregateFunction(sum, Int64),
    redeemed_order_amount AggregateFunction(sum, Int64),
    rolled_back_order_amount AggregateFunction(sum, Int64),
    validations_valid AggregateFunction(sum, Int64),
    validations_invalid AggregateFunction(sum, Int64),
    orders AggregateFunction(uniqExactIf, String, UInt8),
    customers AggregateFunction(uniqExactIf, String, UInt8),
    first_used AggregateFunction(minIf, DateTime, UInt8),
    last_used AggregateFunction(maxIf, DateTime, UInt8)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (account_id, livemode, voucher_id, currency, bucket);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.voucher_stats_15m_mv TO {db}.voucher_stats_15m AS
SELECT
    account_id, livemode, voucher_id, currency,
    toStartOfFifteenMinutes(time) AS bucket,
    sumState(toInt64(type = 'voucher.redeemed')) AS redeemed,
    sumState(toInt64(type = 'voucher.redemption_rolled_back')) AS rolled_back,
    sumState(if(type = 'voucher.redeemed', discount_amount, toInt64(0))) AS redeemed_discount,
    sumState(if(type = 'voucher.redemption_rolled_back', discount_amount, toInt64(0))) AS rolled_back_discount,
    sumState(if(type = 'voucher.redeemed', order_amount, toInt64(0))) AS redeemed_order_amount,
    sumState(if(type = 'voucher.redemption_rolled_back', order_amount, toInt64(0))) AS rolled_back_order_amount,
    sumState(toInt64(type = 'voucher.validated' AND result = 'valid')) AS validations_valid,
    sumState(toInt64(type = 'voucher.validated' AND result = 'invalid')) AS validations_invalid,
    uniqExactIfState(order_id, toUInt8(type = 'voucher.redeemed' OR (type = 'voucher.validated' AND result = 'valid'))) AS orders,
    uniqExactIfState(customer_id, toUInt8(type = 'voucher.redeemed')) AS customers,
    minIfState(time, toUInt8(type = 'voucher.redeemed')) AS first_used,
    maxIfState(time, toUInt8(type = 'voucher.redeemed')) AS last_used
FROM {db}.voucher_events
WHERE voucher_id != ''
GROUP BY account_id, livemode, voucher_id, currency, bucket;

-- The same figures split by one dimension of the event: customer segment, customer region, or
-- (for invalid validations) the failure reason. One materialized view feeds all three.
CREATE TABLE IF NOT EXISTS {db}.voucher_dimension_stats_15m (
    account_id String,
    livemode UInt8,
    voucher_id String,
    currency String,
    dimension Enum8('segment' = 1, 'region' = 2, 'failure_reason' = 3),
    value String,
    bucket DateTime,
    redeemed AggregateFunction(sum, Int64),
    rolled_back AggregateFunction(sum, Int64),
    redeemed_discount AggregateFunction(sum, Int64),
    rolled_back_discount AggregateFunction(sum, Int64),
    redeemed_order_amount AggregateFunction(sum, Int64),
    rolled_back_order_amount AggregateFunction(sum, Int64),
    validations_invalid AggregateFunction(sum, Int64),
    orders AggregateFunction(uniqExactIf, String, UInt8),
    customers AggregateFunction(uniqExactIf, String, UInt8)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (account_id, livemode, voucher_id, currency, dimension, value, bucket);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.voucher_dimension_stats_15m_mv TO {db}.voucher_dimension_stats_15m AS
SELECT
    account_id, livemode, voucher_id, currency,
    dim.1 AS dimension, dim.2 AS value,
    toStartOfFifteenMinutes(time) AS bucket,
    sumState(toInt64(type = 'voucher.redeemed')) AS redeemed,
    sumState(toInt64(type = 'voucher.redemption_rolled_back')) AS rolled_back,
    sumState(if(type = 'voucher.redeemed', discount_amount, toInt64(0))) AS redeemed_discount,
    sumState(if(type = 'voucher.redemption_rolled_back', discount_amount, toInt64(0))) AS rolled_back_discount,
    sumState(if(type = 'voucher.redeemed', order_amount, toInt64(0))) AS redeemed_order_amount,
    sumState(if(type = 'voucher.redemption_rolled_back', order_amount, toInt64(0))) AS rolled_back_order_amount,
    sumState(toInt64(type = 'voucher.validated' AND result = 'invalid')) AS validations_invalid,
    uniqExactIfState(order_id, toUInt8(type = 'voucher.redeemed' OR (type = 'voucher.validated' AND result = 'valid'))) AS orders,
    uniqExactIfState(customer_id, toUInt8(type = 'voucher.redeemed')) AS customers
FROM {db}.voucher_events
ARRAY JOIN [
    tuple(CAST('segment' AS Enum8('segment' = 1, 'region' = 2, 'failure_reason' = 3)), customer_segment),
    tuple(CAST('region' AS Enum8('segment' = 1, 'region' = 2, 'failure_reason' = 3)), customer_region),
    tuple(CAST('failure_reason' AS Enum8('segment' = 1, 'region' = 2, 'failure_reason' = 3)), reason)
] AS dim
WHERE voucher_id != '' AND dim.2 != ''
GROUP BY account_id, livemode, voucher_id, currency, dimension, value, bucket;

-- Every customer's orders (redeemed or completed): the ledger behind "new vs returning" (first
-- order ever) and lifetime spend. Merges collapse only exact repeats of (order, time), never the
-- earliest sighting of an order; readers GROUP BY order_id and take min(time), so an order seen
-- in both event types, or not merged yet, still counts once with its first time.
CREATE TABLE IF NOT EXISTS {db}.customer_orders (
    account_id String,
    livemode UInt8,
    customer_id String,
    order_id String,
    time DateTime,
    time_ms UInt16,
    order_amount Int64,
    currency String
) ENGINE = ReplacingMergeTree
ORDER BY (account_id, livemode, customer_id, order_id, time, time_ms);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.customer_orders_mv TO {db}.customer_orders AS
SELECT account_id, livemode, customer_id, order_id, time, time_ms, order_amount, currency
FROM {db}.voucher_events
WHERE type IN ('voucher.redeemed', 'order.completed');

-- Voucher dimension: id -> latest code, first/last seen, currencies seen.
CREATE TABLE IF NOT EXISTS {db}.vouchers (
    account_id String,
    livemode UInt8,
    voucher_id String,
    code AggregateFunction(argMax, String, DateTime),
    first_seen AggregateFunction(min, DateTime),
    last_seen AggregateFunction(max, DateTime),
    currencies AggregateFunction(groupUniqArray, String)
) ENGINE = AggregatingMergeTree
ORDER BY (account_id, livemode, voucher_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.vouchers_mv TO {db}.vouchers AS
SELECT
    account_id, livemode, voucher_id,
    argMaxState(voucher_code, time) AS code,
    minState(time) AS first_seen,
    maxState(time) AS last_seen,
    groupUniqArrayState(currency) AS currencies
FROM {db}.voucher_events
WHERE voucher_id != ''
GROUP BY account_id, livemode, voucher_id;
