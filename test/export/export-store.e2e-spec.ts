import { Redis } from 'ioredis';
import { buildExportRecord, ExportStore } from '@app/export-core';
import { uid } from '../fixtures/events';
import { TEST_ENV } from '../support/env';

const redis = new Redis(TEST_ENV.REDIS_URL);
const prefix = `${uid('va-test-store')}:`;
const store = new ExportStore(redis, prefix);

async function newExport(): Promise<string> {
  const record = buildExportRecord(
    {
      voucher_ids: ['v_1'],
      metrics: ['uses'],
      format: 'csv',
      granularity: 'day',
      timezone: 'UTC',
      time_period: { start: '2026-01-01T00:00:00Z', end: '2026-01-01T23:59:59Z' },
    },
    { account_id: 'acc_store', livemode: false },
  );
  expect(await store.create(record)).toBe(true);
  return record.export_id;
}

describe('ExportStore transitions (real Redis)', () => {
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('a terminal change and the record\'s end are one step: applied together, or neither', async () => {
    const id = await newExport();
    const key = `${prefix}export:${id}`;
    expect(await redis.ttl(key)).toBe(-1); // a live export is kept

    // Refused (wrong current status): neither the status nor the lifetime changes.
    expect(await store.transition(id, ['completed'], { status: 'expired' }, { retainDays: 1 })).toBe('refused');
    expect(await redis.ttl(key)).toBe(-1);
    expect((await store.get(id))?.status).toBe('queued');

    // Applied: the status and the TTL land in the same script, so no crash can fall between them.
    expect(await store.transition(id, ['queued', 'processing'], { status: 'failed' }, { retainDays: 2 })).toBe('applied');
    expect((await store.get(id))?.status).toBe('failed');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(2 * 86_400 - 60);
    expect(ttl).toBeLessThanOrEqual(2 * 86_400);

    // Later field updates (the webhook's progress) keep that end.
    expect(await store.transition(id, [], { progress: 100 })).toBe('applied');
    expect(await redis.ttl(key)).toBeGreaterThan(2 * 86_400 - 60);
  });

  it('answers "missing" for a record that is gone, and creates nothing', async () => {
    expect(await store.transition('export_does_not_exist', [], { status: 'failed' }, { retainDays: 1 })).toBe('missing');
    expect(await redis.exists(`${prefix}export:export_does_not_exist`)).toBe(0);
  });
});
