import { toEventRow, type EventType, type VoucherEvent } from '@app/contracts';
import { makeEvent, uid } from '../fixtures/events';
import { startApp, type AppProcess } from '../support/app-process';
import { testClickHouse } from '../support/clickhouse';

/** A test key of the given mode for an account (unique per call, so rate-limit windows never collide). */
export function testKey(mode: 'test' | 'live' = 'test'): string {
  return `sk_${mode}_${uid('k').replace(/[^A-Za-z0-9]/g, '')}`;
}

/** A query app with the given `key:account` pairs and generous limits unless overridden. */
export function startQuery(keys: Array<[string, string]>, env: Record<string, string> = {}, options: { waitReady?: boolean } = {}): Promise<AppProcess> {
  return startApp(
    'query',
    {
      API_KEYS: keys.map(([k, a]) => `${k}:${a}`).join(','),
      RATE_LIMIT_PERFORMANCE: '100000',
      RATE_LIMIT_TRENDS: '100000',
      RATE_LIMIT_CUSTOMERS: '100000',
      RATE_LIMIT_VOUCHERS: '100000',
      ...env,
    },
    options,
  );
}

export interface HttpAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function get<T = any>(app: { port: number }, path: string, key?: string): Promise<HttpAnswer<T>> {
  const res = await fetch(`http://127.0.0.1:${app.port}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // non-JSON bodies are asserted as text
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** Shorthand for a hand-built event at an instant. */
export function ev(type: EventType, time: string, data: Record<string, unknown>): VoucherEvent {
  return makeEvent(type, data, { time });
}

/** Writes events straight into voucher_events (the rollup views fire as they do for ingest). */
export async function insertEvents(events: VoucherEvent[]): Promise<void> {
  const client = testClickHouse();
  const now = new Date().toISOString().slice(0, 19).replace('T', ' ');
  const rows = events.map((e, i) => toEventRow(e, Date.parse(e.time), { topic: 'direct', partition: 0, offset: String(i) }, now));
  await client.insert({ table: 'voucher_events', values: rows, format: 'JSONEachRow' });
  await client.close();
}

export const q = (params: Record<string, string | string[] | undefined>): string => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) search.append(k, item);
  }
  const s = search.toString();
  return s ? `?${s}` : '';
};
