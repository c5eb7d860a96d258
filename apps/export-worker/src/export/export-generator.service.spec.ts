import { PassThrough, Readable } from 'node:stream';
import type { ExportRecord } from '@app/export-core';
import { ExportGenerator } from './export-generator.service';

/** A generator whose dependencies only record what a redelivered job of a finished export does. */
function generatorFor(record: Partial<ExportRecord>) {
  const calls: string[] = [];
  const store = {
    get: async () => ({ export_id: 'export_0123456789abcdef', ...record }),
    scheduleExpiry: async (id: string, at: number) => void calls.push(`expiry ${id} ${at}`),
    transition: async () => void calls.push('transition'),
  };
  const webhooks = { enqueue: async (id: string) => void calls.push(`webhook ${id}`) };
  const unused = {} as never;
  const generator = new ExportGenerator(unused, store as never, unused, unused, webhooks as never);
  return { generator, calls };
}

describe('ExportGenerator, a job redelivered after its export finished', () => {
  const expiresAt = '2024-03-02T10:00:00.000Z';

  it('arranges the expiry and the webhook a worker killed right after completing never arranged', async () => {
    const { generator, calls } = generatorFor({ status: 'completed', expires_at: expiresAt, webhook_url: 'https://example.com/h', schedule_id: 'sched_0123456789abcdef' });
    await generator.execute('export_0123456789abcdef');
    expect(calls).toEqual([`expiry export_0123456789abcdef ${Date.parse(expiresAt)}`, 'webhook export_0123456789abcdef']);
  });

  it('does not enqueue a webhook whose delivery is already under way or done, and never regenerates', async () => {
    const { generator, calls } = generatorFor({ status: 'completed', expires_at: expiresAt, webhook: { url: 'https://example.com/h', status: 'delivered', attempts: 1 } });
    await generator.execute('export_0123456789abcdef');
    expect(calls).toEqual([`expiry export_0123456789abcdef ${Date.parse(expiresAt)}`]);
  });

  it('queues again a webhook left pending by a worker killed between marking it and adding its job', async () => {
    const { generator, calls } = generatorFor({ status: 'failed', webhook: { url: 'https://example.com/h', status: 'pending', attempts: 0 } });
    await generator.execute('export_0123456789abcdef');
    expect(calls).toEqual(['webhook export_0123456789abcdef']);
  });

  it('does not queue again a webhook that gave up', async () => {
    const { generator, calls } = generatorFor({ status: 'failed', webhook: { url: 'https://example.com/h', status: 'failed', attempts: 5 } });
    await generator.execute('export_0123456789abcdef');
    expect(calls).toEqual([]);
  });

  it('leaves an expired export alone', async () => {
    const { generator, calls } = generatorFor({ status: 'expired', expires_at: expiresAt });
    await generator.execute('export_0123456789abcdef');
    expect(calls).toEqual([]);
  });
});

describe('ExportGenerator, two attempts racing', () => {
  it("writes its own file and deletes it when the other attempt's completion was recorded first", async () => {
    const deleted: string[] = [];
    const written: string[] = [];
    const store = {
      get: async () => ({ export_id: 'export_0123456789abcdef', status: 'processing', format: 'csv', progress: 10 }),
      // Progress and the start are accepted; the completion is refused: the other attempt won.
      transition: async (_id: string, _from: string[], patch: { status?: string }) => (patch.status === 'completed' ? 'refused' : 'applied'),
    };
    const rows = {
      voucherMeta: async () => [],
      countRows: async () => 1,
      selectSql: () => 'SELECT 1',
      columns: () => ['a'],
      stream: async () => Readable.from([Buffer.from('a\n1\n')]),
    };
    const storage = {
      removePartials: async () => undefined,
      removeAll: async () => undefined,
      createWriter: async (key: string) => {
        written.push(key);
        return { stream: new PassThrough().resume(), commit: async () => 4, abort: async () => undefined };
      },
      delete: async (key: string) => void deleted.push(key),
    };
    const config = { EXPORT_MAX_RECORDS: 100, EXPORT_TTL_HOURS: 1 };
    const generator = new ExportGenerator(config as never, store as never, rows as never, storage as never, { enqueue: async () => undefined } as never);
    await generator.execute('export_0123456789abcdef');
    expect(written).toEqual([expect.stringMatching(/^export_0123456789abcdef\.[0-9a-f]{8}\.csv$/)]);
    expect(deleted).toEqual(written); // the file served stays the winner's, matching its record
  });
});
