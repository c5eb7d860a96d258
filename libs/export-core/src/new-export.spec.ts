import type { Queue } from 'bullmq';
import type { ExportStore } from './export-store';
import type { ExportRecord } from './export.types';
import { buildExportRecord, submitExport } from './new-export';

describe('submitExport', () => {
  const record = buildExportRecord(
    { voucher_ids: ['v1'], metrics: ['uses'], format: 'csv', granularity: 'day', timezone: 'UTC', time_period: { start: '2024-03-01T00:00:00Z', end: '2024-03-31T23:59:59Z' } },
    { account_id: 'acc', livemode: false },
  );

  /** A store that keeps records in a map and applies transitions like the Redis one. */
  function fakeStore() {
    const records = new Map<string, ExportRecord>();
    const retained = new Map<string, number>();
    const store: Pick<ExportStore, 'create' | 'transition'> = {
      create: async (r) => !records.has(r.export_id) && !!records.set(r.export_id, { ...r }),
      transition: async (id, from, patch, options = {}) => {
        const current = records.get(id);
        if (!current) return 'missing';
        if (from.length && !from.includes(current.status)) return 'refused';
        records.set(id, { ...current, ...patch });
        if (options.retainDays !== undefined) retained.set(id, options.retainDays);
        return 'applied';
      },
    };
    return { store, records, retained };
  }

  it('stores the record and enqueues its job under the export id', async () => {
    const { store, records } = fakeStore();
    const added: unknown[][] = [];
    await submitExport(store, { add: async (...args: unknown[]) => added.push(args) } as unknown as Queue, record, { retainDays: 30 });
    expect(records.get(record.export_id)?.status).toBe('queued');
    expect(added).toEqual([['export', { export_id: record.export_id }, { jobId: record.export_id }]]);
  });

  it('marks the record failed, with its retention, when the job cannot be enqueued, and still reports the error', async () => {
    const { store, records, retained } = fakeStore();
    const queue = { add: async () => Promise.reject(new Error('Connection is closed.')) } as unknown as Queue;
    await expect(submitExport(store, queue, record, { retainDays: 30 })).rejects.toThrow('Connection is closed.');
    expect(records.get(record.export_id)).toMatchObject({ status: 'failed', error: { code: 'EXPORT_FAILED' } });
    // Kept like any failed export, then gone: not in Redis for ever.
    expect(retained.get(record.export_id)).toBe(30);
  });
});
