import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@app/clickhouse';
import { toEventRow, type EventType } from '@app/contracts';
import { makeEvent, uid } from '../fixtures/events';

/** An event at `time` (ISO) inserted straight into voucher_events; the materialized views fill the rollups. */
export interface EventSpec {
  type: EventType;
  time: string;
  data: Record<string, unknown>;
}

export async function insertEvents(ch: ClickHouseClient, specs: EventSpec[]): Promise<void> {
  const rows = specs.map((s, i) => {
    const event = makeEvent(s.type, s.data as never, { time: s.time });
    // ingested well before any export's snapshot, so every export sees these rows
    return toEventRow(event, Date.parse(s.time), { topic: 'export-tests', partition: 0, offset: String(i) }, '2020-01-01 00:00:00');
  });
  for (let i = 0; i < rows.length; i += 50_000) {
    await ch.insert({ table: 'voucher_events', values: rows.slice(i, i + 50_000), format: 'JSONEachRow' });
  }
}

export function exportDir(): string {
  return mkdtempSync(join(tmpdir(), 'exports-'));
}

export function testKey(label: string): string {
  return `sk_test_${uid(label).replace(/[^A-Za-z0-9]/g, '')}`;
}

export class Api {
  constructor(
    readonly port: number,
    readonly key?: string,
  ) {}

  async request(method: string, path: string, body?: unknown, key = this.key): Promise<{ status: number; body: any; headers: Headers; raw: Buffer }> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    const raw = Buffer.from(await res.arrayBuffer());
    let parsed: any = undefined;
    if ((res.headers.get('content-type') ?? '').startsWith('application/json') && !res.headers.get('content-disposition')) {
      parsed = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    }
    return { status: res.status, body: parsed, headers: res.headers, raw };
  }

  post = (path: string, body: unknown, key?: string) => this.request('POST', path, body, key);
  get = (path: string, key?: string) => this.request('GET', path, undefined, key);

  async waitFor(exportId: string, done: (status: string) => boolean, timeoutMs = 60_000): Promise<any> {
    const until = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < until) {
      last = await this.get(`/v1/analytics/export/${exportId}`).catch(() => undefined);
      if (last?.status === 200 && done(last.body.status)) return last.body;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`export ${exportId} did not reach the expected status; last: ${JSON.stringify(last?.body)}`);
  }
}

/** The download path + token of a download_url (the URL's host is PUBLIC_BASE_URL, not the test's port). */
export function downloadPath(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}
