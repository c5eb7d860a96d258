import type { Job } from 'bullmq';
import { JOB } from '@app/export-core';
import { scheduledExportId } from './export-maintenance.service';
import { ExportProcessor } from './export.processor';

/** The processor with fakes for what it calls; `fail` records which exports were marked failed. */
function processor(execute: () => Promise<void>, runSchedule: () => Promise<void> = async () => undefined) {
  const failed: string[] = [];
  const generator = { execute, fail: async (r: { export_id: string }) => void failed.push(r.export_id) };
  const p = new ExportProcessor({} as never, {} as never, {} as never, generator as never, { runSchedule } as never, {} as never);
  return { p, run: (job: Partial<Job>) => run(p, job), failed };
}

const run = (p: ExportProcessor, job: Partial<Job>) => (p as unknown as { process: (j: Job) => Promise<void> }).process(job as Job);

const exportJob = (attemptsMade: number): Partial<Job> => ({ id: 'j1', name: JOB.export, data: { export_id: 'export_1' }, attemptsMade, opts: { attempts: 3 } });

describe('ExportProcessor', () => {
  it('records the failure itself on the last attempt, before BullMQ moves the job (a crash there left it processing)', async () => {
    const { run, failed } = processor(async () => Promise.reject(new Error('ClickHouse down')));
    await expect(run(exportJob(0))).rejects.toThrow('ClickHouse down');
    await expect(run(exportJob(1))).rejects.toThrow('ClickHouse down');
    expect(failed).toEqual([]); // retries left: BullMQ tries again
    await expect(run(exportJob(2))).rejects.toThrow('ClickHouse down'); // the third of three
    expect(failed).toEqual(['export_1']);
  });

  it('fails the export a schedule tick stored but could not queue, on its last attempt', async () => {
    const { p, failed } = processor(async () => undefined, async () => Promise.reject(new Error('Redis away')));
    const tick = (attemptsMade: number): Partial<Job> => ({ id: 'repeat:s1:1700000000000', name: JOB.scheduledExport, data: { schedule_id: 's1' }, attemptsMade, opts: { attempts: 3 } });
    await expect(run(p, tick(1))).rejects.toThrow('Redis away');
    expect(failed).toEqual([]);
    await expect(run(p, tick(2))).rejects.toThrow('Redis away'); // the third of three, as BullMQ runs it
    expect(failed).toEqual([scheduledExportId(tick(2) as Job)]);
  });
});
