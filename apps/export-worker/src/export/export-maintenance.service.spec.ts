import type { Job } from 'bullmq';
import type { ExportRecord } from '@app/export-core';
import { ExportMaintenance } from './export-maintenance.service';

describe('ExportMaintenance.runSchedule', () => {
  it("resolves the schedule's window at the tick, not when a late worker runs it", async () => {
    const created: ExportRecord[] = [];
    const schedule = {
      schedule_id: 's1',
      account_id: 'acc',
      livemode: false,
      export: { voucher_ids: ['v1'], metrics: ['uses'], format: 'csv', granularity: 'day', timezone: 'UTC', time_period: 'previous_month' },
    };
    const store = { getSchedule: async () => schedule, create: async (r: ExportRecord) => void created.push(r) };
    const queue = { add: async () => undefined };
    const maintenance = new ExportMaintenance({} as never, store as never, {} as never, queue as never);
    // Due at midnight on 1 March 2024; run by a worker a month later (a backlog).
    const job = { id: 'repeat:s1:1709251200000', data: { schedule_id: 's1' }, opts: { prevMillis: Date.UTC(2024, 2, 1) }, timestamp: Date.UTC(2024, 1, 29) };
    const realNow = Date.now;
    Date.now = () => Date.UTC(2024, 3, 2);
    try {
      await maintenance.runSchedule(job as unknown as Job);
    } finally {
      Date.now = realNow;
    }
    expect(created[0].time_period).toEqual({ start: '2024-02-01T00:00:00Z', end: '2024-02-29T23:59:59Z' });
  });
});
