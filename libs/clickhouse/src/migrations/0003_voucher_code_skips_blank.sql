-- A voucher's `code` is the code of its latest event. `order.completed` may name a voucher
-- without carrying its code; that blank code must not become the latest (found in review: every
-- answer then showed `"code": ""`). A blank code now ranks at the epoch, so any event with a
-- code wins over it. A view's query cannot be altered on 18.16, so the replacement view is
-- created before the old one is dropped: in between, both write the same states, and argMax,
-- min, max and groupUniqArray are unchanged by a repeated input, so no insert is missed and
-- nothing is doubled. Codes already stored blank stay until the voucher's next event with a code.
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.vouchers_v2_mv TO {db}.vouchers AS
SELECT
    account_id, livemode, voucher_id,
    argMaxState(voucher_code, if(voucher_code = '', toDateTime(0), time)) AS code,
    minState(time) AS first_seen,
    maxState(time) AS last_seen,
    groupUniqArrayState(currency) AS currencies
FROM {db}.voucher_events
WHERE voucher_id != ''
GROUP BY account_id, livemode, voucher_id;

DROP TABLE IF EXISTS {db}.vouchers_mv;
