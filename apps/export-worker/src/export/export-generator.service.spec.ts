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

  it('leaves an expired export alone', async () => {
    const { generator, calls } = generatorFor({ status: 'expired', expires_at: expiresAt });
    await generator.execute('export_0123456789abcdef');
    expect(calls).toEqual([]);
  });
});
