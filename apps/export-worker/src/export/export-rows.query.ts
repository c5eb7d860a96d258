import { eventTimeWhere, sqlNumber, sqlString, sqlStringList, type ClickHouseClient } from '@app/clickhouse';
import { bucketDates, periodMs, type ExportMetric, type ExportRecord } from '@app/export-core';
import type { Readable } from 'node:stream';

/** Columns of event-granularity rows, in file order (documented in docs/exports.md). */
export const EVENT_COLUMNS = [
  'event_id',
  'type',
  'time',
  'voucher_id',
  'code',
  'customer_id',
  'order_id',
  'order_amount',
  'discount_amount',
  'currency',
  'segment',
  'region',
  'result',
  'reason',
] as const;
const EVENT_STRING_COLUMNS = new Set(['event_id', 'type', 'voucher_id', 'code', 'customer_id', 'order_id', 'currency', 'segment', 'region', 'result', 'reason']);

/** Per-bucket metric SQL over the aggregated columns (docs/metrics.md definitions). */
const METRIC_SQL: Record<ExportMetric, string> = {
  uses: 'toInt32(uses_)',
  discount: 'toFloat64(discount_)',
  orders: 'toUInt32(orders_)',
  // Exact decimal rounding (half away from zero, 4 places) in integers, as the query API does.
  conversion_rate:
    'if(orders_ = 0, 0, (intDiv(2 * abs(uses_) * 10000 + greatest(toInt64(orders_), 1), 2 * greatest(toInt64(orders_), 1)) * if(uses_ < 0, -1, 1)) / 10000)',
  // Integer division rounding half away from zero: exact for any minor-unit amount. ClickHouse
  // evaluates both branches of if(), so the divisor is kept ≥ 1 even where the result is discarded.
  avg_order_value:
    'toFloat64(if(uses_ <= 0, 0, intDiv(2 * abs(net_order_) + greatest(uses_, 1), 2 * greatest(uses_, 1)) * if(net_order_ < 0, -1, 1)))',
  revenue_impact: 'toFloat64(revenue_)',
  unique_customers: 'toUInt32(customers_)',
};

/**
 * Spreadsheet formula injection: a text cell starting with = + - @ (or tab / CR) gets a leading
 * apostrophe so Excel/Sheets show it as text. Done in SQL so ClickHouse still formats the bytes.
 */
const neutralised = (expr: string) => String.raw`if(match(${expr}, '^[=+\\-@\\t\\r]'), concat('''', ${expr}), ${expr})`;

/**
 * XML 1.0 text: the five markup characters escaped, control characters it cannot carry dropped,
 * line breaks as character references, so that every row is one line of the TSVRaw stream (the
 * writer counts rows by lines) and Excel still shows them.
 */
const xmlEscaped = (expr: string) =>
  String.raw`replaceAll(replaceAll(replaceAll(replaceAll(replaceAll(replaceAll(replaceRegexpAll(${expr}, '[\x00-\x08\x0B\x0C\x0E-\x1F]', ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '\n', '&#10;'), '\r', '&#13;')`;

/** Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA. */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** The first day (YYYY-MM-DD) of every bucket the export's period touches, in its zone. */
function periodBuckets(r: ExportRecord, granularity: 'day' | 'week' | 'month'): string[] {
  const { start, end } = periodMs(r);
  return bucketDates(start, end - 1, r.timezone, granularity);
}

const REDEEMED = "type = 'voucher.redeemed'";
const ROLLED_BACK = "type = 'voucher.redemption_rolled_back'";

export interface VoucherMeta {
  voucher_id: string;
  code: string;
  currency: string;
}

/** All SQL of the export worker lives here; every value passes the one escaping helper. */
export class ExportRowsQuery {
  constructor(private readonly ch: ClickHouseClient) {}

  /**
   * `snapshotSec` bounds ingested_at so that the count taken before generating and the rows
   * streamed afterwards see the same events even while new ones land.
   */
  private scope(r: ExportRecord, snapshotSec: number): string {
    const period = periodMs(r);
    return [
      `ingested_at < toDateTime(${sqlNumber(snapshotSec)})`,
      `account_id = ${sqlString(r.account_id)}`,
      `livemode = ${r.livemode ? 1 : 0}`,
      `voucher_id IN (${sqlStringList(r.voucher_ids)})`,
      // A requested currency bounds event rows too (found in review: they came in every currency).
      ...(r.currency ? [`currency = ${sqlString(r.currency)}`] : []),
      // To the millisecond, with the analytics API's own filter (the shown period is in whole seconds).
      eventTimeWhere({ startMs: period.start, endMs: period.end }),
    ].join(' AND ');
  }

  /** Code and currency per voucher: the requested currency, else the one with most redemptions (ties alphabetical). */
  async voucherMeta(r: ExportRecord): Promise<VoucherMeta[]> {
    const acc = `account_id = ${sqlString(r.account_id)} AND livemode = ${r.livemode ? 1 : 0} AND voucher_id IN (${sqlStringList(r.voucher_ids)})`;
    const [codes, currencies] = await Promise.all([
      this.json<{ voucher_id: string; code: string }>(
        `SELECT voucher_id, argMaxMerge(code) AS code FROM vouchers WHERE ${acc} GROUP BY voucher_id`,
      ),
      this.json<{ voucher_id: string; currency: string }>(
        `SELECT voucher_id, currency FROM (
           SELECT voucher_id, currency, sumMerge(redeemed) AS n FROM voucher_stats_15m WHERE ${acc} GROUP BY voucher_id, currency
           ORDER BY voucher_id, n DESC, currency ASC
         ) LIMIT 1 BY voucher_id`,
      ),
    ]);
    const codeOf = new Map(codes.map((c) => [c.voucher_id, c.code]));
    const currencyOf = new Map(currencies.map((c) => [c.voucher_id, c.currency]));
    return [...r.voucher_ids].sort().map((id) => ({
      voucher_id: id,
      code: codeOf.get(id) ?? '',
      currency: r.currency ?? currencyOf.get(id) ?? '',
    }));
  }

  /** Rows the export will have, counted before anything is generated (for max_records). */
  async countRows(r: ExportRecord, vouchers: VoucherMeta[], snapshotSec: number): Promise<number> {
    if (r.granularity !== 'event') {
      return vouchers.length * periodBuckets(r, r.granularity).length;
    }
    const [row] = await this.json<{ n: string }>(`SELECT count() AS n FROM voucher_events WHERE ${this.scope(r, snapshotSec)}`);
    return Number(row.n);
  }

  columns(r: ExportRecord): string[] {
    return r.granularity === 'event' ? [...EVENT_COLUMNS] : ['voucher_id', 'code', 'currency', 'date', ...r.metrics];
  }

  /** The SELECT (without FORMAT) producing the export's rows in file order. */
  selectSql(r: ExportRecord, vouchers: VoucherMeta[], neutralise: boolean, snapshotSec: number): string {
    const text = (expr: string, alias: string) => `${neutralise ? neutralised(expr) : expr} AS ${alias}`;
    if (r.granularity === 'event') {
      const exprs: Record<(typeof EVENT_COLUMNS)[number], string> = {
        event_id: 'event_id',
        type: 'toString(type)',
        // ISO 8601 UTC with milliseconds (DateTime has seconds; time_ms holds the rest).
        time: "concat(replaceOne(toString(time, 'UTC'), ' ', 'T'), '.', substring(toString(1000 + time_ms), 2, 3), 'Z')",
        voucher_id: 'voucher_id',
        code: 'voucher_code',
        customer_id: 'customer_id',
        order_id: 'order_id',
        order_amount: 'toFloat64(order_amount)',
        discount_amount: 'toFloat64(discount_amount)',
        currency: 'currency',
        segment: 'customer_segment',
        region: 'customer_region',
        result: 'result',
        reason: 'reason',
      };
      const select = EVENT_COLUMNS.map((c) => (EVENT_STRING_COLUMNS.has(c) ? text(exprs[c], c) : `${exprs[c]} AS ${c}`));
      // Output aliases reuse column names, so they stay outside the subquery that filters and sorts.
      return `SELECT ${select.join(', ')} FROM (
  SELECT * FROM voucher_events WHERE ${this.scope(r, snapshotSec)} ORDER BY voucher_id, time, time_ms, event_id
)`;
    }
    const granularity = r.granularity;
    const tz = sqlString(r.timezone);
    const bucketExpr = { day: `toDate(time, ${tz})`, week: `toMonday(toDate(time, ${tz}))`, month: `toStartOfMonth(toDate(time, ${tz}))` }[granularity];
    const dates = periodBuckets(r, granularity);
    const grid = vouchers.map((v) => `tuple(${sqlString(v.voucher_id)}, ${sqlString(v.code)}, ${sqlString(v.currency)})`).join(', ');
    const metrics = r.metrics.map((m) => `${METRIC_SQL[m]} AS ${m}`);
    return `SELECT ${text('voucher_id', 'voucher_id')}, ${text('code', 'code')}, ${text('currency', 'currency')}, toString(bucket) AS date${metrics.length ? ', ' : ''}${metrics.join(', ')}
FROM (
SELECT * FROM (
  SELECT t.1 AS voucher_id, t.2 AS code, t.3 AS currency, d AS bucket
  FROM (SELECT arrayJoin([${grid}]) AS t)
  ARRAY JOIN [${dates.map((d) => `toDate(${sqlString(d)})`).join(', ')}] AS d
)
ANY LEFT JOIN (
  SELECT voucher_id, currency, ${bucketExpr} AS bucket,
    countIf(${REDEEMED}) - countIf(${ROLLED_BACK}) AS uses_,
    sumIf(discount_amount, ${REDEEMED}) - sumIf(discount_amount, ${ROLLED_BACK}) AS discount_,
    uniqExactIf(order_id, ${REDEEMED} OR (type = 'voucher.validated' AND result = 'valid')) AS orders_,
    sumIf(order_amount, ${REDEEMED}) - sumIf(order_amount, ${ROLLED_BACK}) AS net_order_,
    sumIf(order_amount - discount_amount, ${REDEEMED}) - sumIf(order_amount - discount_amount, ${ROLLED_BACK}) AS revenue_,
    uniqExactIf(customer_id, ${REDEEMED}) AS customers_
  FROM voucher_events
  WHERE ${this.scope(r, snapshotSec)}
  GROUP BY voucher_id, currency, bucket
) USING (voucher_id, currency, bucket)
ORDER BY voucher_id, bucket
)`;
  }

  /**
   * XLSX data rows as SpreadsheetML, one `<row>` per output line (FORMAT TSVRaw): ClickHouse renders
   * and XML-escapes the cells as it formats CSV, so the worker only copies bytes into the sheet.
   * Text → `t="str"` value cells, the form exceljs itself writes without shared strings (a third
   * of inline strings' bytes; never formulas; empty text → no cell), numbers → `<v>` cells.
   * Row numbers start at 2 below the header row the workbook writer adds.
   */
  xlsxRowsSql(r: ExportRecord, vouchers: VoucherMeta[], snapshotSec: number): string {
    const numeric = new Set<string>(r.granularity === 'event' ? ['order_amount', 'discount_amount'] : r.metrics);
    const cells = this.columns(r).map((column, i) => {
      const ref = `'<c r="${columnName(i)}', n_`;
      return numeric.has(column)
        ? `concat(${ref}, '"><v>', toString(${column}), '</v></c>')`
        : `if(${column} = '', '', concat(${ref}, '" t="str"><v>', ${xmlEscaped(column)}, '</v></c>'))`;
    });
    return `SELECT concat('<row r="', n_, '">', ${cells.join(', ')}, '</row>') AS row_xml
FROM (SELECT *, toString(rowNumberInAllBlocks() + 2) AS n_ FROM (${this.selectSql(r, vouchers, true, snapshotSec)}))`;
  }

  /** Raw response bytes: ClickHouse does the formatting, the worker only moves bytes. */
  async stream(sql: string, format: 'CSVWithNames' | 'JSONEachRow' | 'TSVRaw'): Promise<Readable> {
    const result = await this.ch.exec({ query: `${sql}\nFORMAT ${format}` });
    return result.stream;
  }

  private async json<T>(query: string): Promise<T[]> {
    return (await this.ch.query({ query, format: 'JSONEachRow' })).json<T>();
  }
}
