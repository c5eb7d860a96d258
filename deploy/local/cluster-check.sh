#!/usr/bin/env bash
# Runs the ClickHouse cluster-mode schema (CLICKHOUSE_CLUSTER) for real, on this machine:
# ZooKeeper (from the Kafka broker's Maven dependencies) and two ClickHouse servers as two shards
# of a cluster `analytics`, on private ports, under .local/cluster-check (deleted afterwards).
# Applies the migrations with { cluster: 'analytics' } twice (idempotent), up to 0003 before the
# first half of the events and the rest (0004's ledger backfill) before the second half, inserting
# events for many accounts through the Distributed table, and checks: each account on exactly one
# shard, every rollup read through Distributed equal to a recomputation from the raw events (the
# daily rollup and its coverage row included), each shard's customer ledger complete for its own
# accounts, event_ids complete.
#
#   bash deploy/local/cluster-check.sh
#
# A script, not a test: it takes ~30 s and two extra servers; run it after changing migrations.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="$ROOT/.local/cluster-check"
ZK_PORT=12181
DB=va_cluster_check
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done; done
  rm -rf "$DIR"
}
trap cleanup EXIT
rm -rf "$DIR" && mkdir -p "$DIR/zk"

command -v clickhouse-server >/dev/null || { echo "clickhouse-server missing: npm run stack -- up installs it" >&2; exit 1; }
mvn -q -o -f "$ROOT/deploy/local/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$DIR/jars" \
  || mvn -q -f "$ROOT/deploy/local/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$DIR/jars"

cat > "$DIR/zk.cfg" <<EOF
tickTime=2000
dataDir=$DIR/zk
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
EOF
java -Xmx256m -cp "$DIR/jars/*" org.apache.zookeeper.server.quorum.QuorumPeerMain "$DIR/zk.cfg" >"$DIR/zk.log" 2>&1 &
PIDS+=($!)

cluster_xml="<remote_servers><analytics>"
for s in 1 2; do cluster_xml+="<shard><replica><host>127.0.0.1</host><port>1900$s</port></replica></shard>"; done
cluster_xml+="</analytics></remote_servers>"
for s in 1 2; do
  d="$DIR/ch$s"
  mkdir -p "$d"/{data,tmp,log,user_files,format_schemas}
  # Durable Distributed inserts, as docs/operations.md asks of the ingest user in cluster mode.
  sed -e 's#<load_balancing>random</load_balancing>#&<insert_distributed_sync>1</insert_distributed_sync>#' -e "s#@MAX_THREADS@#$(nproc)#g" \
    "$ROOT/deploy/local/clickhouse/users.xml" >"$d/users.xml"
  sed -e "s#@DIR@#$d#g" -e "s#@HTTP_PORT@#1812$s#" -e "s#@TCP_PORT@#1900$s#" "$ROOT/deploy/local/clickhouse/config.xml" |
    sed "s#</yandex>#<interserver_http_port>1901$s</interserver_http_port><interserver_http_host>127.0.0.1</interserver_http_host><zookeeper><node><host>127.0.0.1</host><port>$ZK_PORT</port></node></zookeeper><macros><shard>0$s</shard><replica>r1</replica></macros><distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>$cluster_xml</yandex>#" >"$d/config.xml"
  clickhouse-server --config-file="$d/config.xml" >"$d/log/stdout.log" 2>&1 &
  PIDS+=($!)
done
for s in 1 2; do
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:1812$s/ping" >/dev/null && break; sleep 0.5; done
done

q() { curl -sfS "http://127.0.0.1:${2:-18121}/" --data-binary "$1"; }

cd "$ROOT"
# migrate_cluster [UP_TO]: applies the migrations (up to version UP_TO) in cluster mode, twice: the
# second run must find nothing left to do.
migrate_cluster() {
  UP_TO="${1:-}" CLICKHOUSE_URL=http://127.0.0.1:18121 npx ts-node --transpile-only -r tsconfig-paths/register -e "
    import { createClickHouse, migrate } from '@app/clickhouse';
    (async () => {
      const client = createClickHouse({ CLICKHOUSE_URL: process.env.CLICKHOUSE_URL, CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '', CLICKHOUSE_DATABASE: 'default' } as never);
      const upTo = process.env.UP_TO ? Number(process.env.UP_TO) : undefined;
      const first = await migrate(client, '$DB', { cluster: 'analytics', upTo });
      const second = await migrate(client, '$DB', { cluster: 'analytics', upTo });
      if (first.length === 0 || second.length !== 0) throw new Error('migrations not applied exactly once');
      await client.close();
    })().catch((e) => { console.error(e); process.exit(1); });"
}

# insert_events FROM COUNT: 40 accounts x 25 vouchers, all four event types, through the Distributed table.
insert_events() {
  q "INSERT INTO $DB.voucher_events (event_id, type, source, time, time_ms, account_id, livemode, voucher_id, voucher_code,
       customer_id, customer_segment, customer_region, order_id, order_amount, discount_amount, currency, redemption_id,
       result, reason, kafka_topic, kafka_partition, kafka_offset, ingested_at)
     SELECT concat('e', toString(number)), CAST(1 + number % 4 AS Enum8('voucher.validated' = 1, 'voucher.redeemed' = 2, 'voucher.redemption_rolled_back' = 3, 'order.completed' = 4)),
       'check', toDateTime('2026-01-01 00:00:00') + number * 37, 0, concat('acc_', toString(number % 40)), number % 2,
       concat('v_', toString(number % 25)), 'CODE', concat('c_', toString(number % 300)), 'premium', 'Europe',
       concat('o_', toString(intDiv(number, 2))), 1000 + number % 500, number % 100, 'USD', concat('r_', toString(number)),
       if(number % 3 = 0, 'invalid', 'valid'), if(number % 3 = 0, 'expired', ''), 't', 0, number, now()
     FROM numbers($1, $2)"
}

# Half the events arrive before 0004, so its customer-ledger backfill runs on data (through the
# Distributed table: each account's sightings must land on its own shard), half after.
migrate_cluster 3
insert_events 0 10000
migrate_cluster
insert_events 10000 10000

fail() { echo "cluster-check FAILED: $*" >&2; exit 1; }
total=$(q "SELECT count() FROM $DB.voucher_events")
[ "$total" = 20000 ] || fail "Distributed voucher_events has $total rows, expected 20000"
shard1=$(q "SELECT count() FROM $DB.voucher_events_local" 18121); shard2=$(q "SELECT count() FROM $DB.voucher_events_local" 18122)
[ "$shard1" -gt 0 ] && [ "$shard2" -gt 0 ] || fail "rows not spread over both shards ($shard1 / $shard2)"
split=$(q "SELECT count() FROM (SELECT account_id FROM $DB.voucher_events GROUP BY account_id HAVING uniqExact(_shard_num) > 1)" 2>/dev/null || echo skip)
if [ "$split" = skip ]; then # _shard_num is newer than 18.16: compare the two shards' account sets instead
  split=$(q "SELECT count() FROM $DB.voucher_events_local WHERE account_id IN (SELECT account_id FROM remote('127.0.0.1:19002', $DB.voucher_events_local))" 18121)
fi
[ "$split" = 0 ] || fail "$split rows of accounts split across shards"
[ "$(q "SELECT count() FROM $DB.event_ids")" = 20000 ] || fail "event_ids incomplete"

expected=$(q "SELECT account_id, voucher_id, countIf(type = 'voucher.redeemed'), sumIf(discount_amount, type = 'voucher.redemption_rolled_back'), uniqExactIf(customer_id, type = 'voucher.redeemed')
   FROM $DB.voucher_events GROUP BY account_id, voucher_id ORDER BY account_id, voucher_id FORMAT TSV")
actual=$(q "SELECT account_id, voucher_id, sumMerge(redeemed), sumMerge(rolled_back_discount), uniqExactIfMerge(customers)
   FROM $DB.voucher_stats_15m GROUP BY account_id, voucher_id ORDER BY account_id, voucher_id FORMAT TSV")
[ "$expected" = "$actual" ] || fail "voucher_stats_15m through Distributed differs from the raw events"
expected=$(q "SELECT account_id, voucher_id, countIf(type = 'voucher.redeemed'), sumIf(order_amount, type = 'voucher.redeemed'), countIf(type = 'voucher.validated' AND result = 'valid')
   FROM $DB.voucher_events GROUP BY account_id, voucher_id ORDER BY account_id, voucher_id FORMAT TSV")
actual=$(q "SELECT account_id, voucher_id, sumMerge(redeemed), sumMerge(redeemed_order_amount), sumMerge(validations_valid)
   FROM $DB.voucher_stats_1d GROUP BY account_id, voucher_id ORDER BY account_id, voucher_id FORMAT TSV")
[ "$expected" = "$actual" ] || fail "voucher_stats_1d through Distributed differs from the raw events"
# Migrated before any event: the daily rollup is complete from the epoch (one coverage row, on the migrating node's shard).
[ "$(q "SELECT count(), toUInt32(max(complete_from)) FROM $DB.rollup_coverage WHERE rollup = 'voucher_stats_1d' FORMAT TSV")" = "$(printf '1\t0')" ] || fail "the daily rollup's coverage is not one row complete from the epoch"
# 0005 came after the first half of the events: its table holds exactly the second half's voucher events.
[ "$(q "SELECT count() FROM $DB.rollup_coverage WHERE rollup = 'voucher_usage_by_time' AND complete_from > toDateTime('2026-01-05 00:00:00')")" = 1 ] || fail "voucher_usage_by_time's coverage is not one row after the stored events"
usage=$(q "SELECT account_id, count(), sum(sign * discount_amount) FROM $DB.voucher_usage_by_time GROUP BY account_id ORDER BY account_id FORMAT TSV")
usage_raw=$(q "SELECT account_id, count(), sum(multiIf(type = 'voucher.redeemed', 1, type = 'voucher.redemption_rolled_back', -1, 0) * discount_amount) FROM $DB.voucher_events
   WHERE voucher_id != '' AND kafka_offset >= 10000 GROUP BY account_id ORDER BY account_id FORMAT TSV")
[ "$usage" = "$usage_raw" ] || fail "voucher_usage_by_time through Distributed differs from the events inserted after 0005"
orders=$(q "SELECT count() FROM (SELECT account_id, customer_id, order_id FROM $DB.customer_ledger GROUP BY account_id, customer_id, order_id)")
raw_orders=$(q "SELECT uniqExact(account_id, customer_id, order_id) FROM $DB.voucher_events WHERE type IN ('voucher.redeemed', 'order.completed')")
[ "$orders" = "$raw_orders" ] || fail "customer_ledger $orders vs raw $raw_orders"
for port in 18121 18122; do # each shard's ledger holds the sightings of its own accounts' events, no more, no less
  local_orders=$(q "SELECT count() FROM (SELECT DISTINCT account_id, customer_id, order_id FROM $DB.customer_ledger_local)" $port)
  local_raw=$(q "SELECT uniqExact(account_id, customer_id, order_id) FROM $DB.voucher_events_local WHERE type IN ('voucher.redeemed', 'order.completed')" $port)
  [ "$local_orders" = "$local_raw" ] || fail "shard $port: customer_ledger_local $local_orders vs its raw events $local_raw"
done
vouchers=$(q "SELECT count() FROM (SELECT account_id, livemode, voucher_id FROM $DB.vouchers GROUP BY account_id, livemode, voucher_id)")
[ "$vouchers" = "$(q "SELECT uniqExact(account_id, livemode, voucher_id) FROM $DB.voucher_events")" ] || fail "vouchers dimension incomplete"
echo "cluster-check OK: 2 shards ($shard1 + $shard2 rows), accounts never split, rollups equal the raw events"
