import type { ClickHouseClient } from '@clickhouse/client';
import type { Readable } from 'node:stream';
import type { EventRow } from '@app/contracts';
import { EventStore, insertQueryId, writesAnyOf } from './event-store';

const SOURCE = { topic: 'voucher-events', partitions: [1, 4] };

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ event_id: `e${i}`, source: 's', time_ms: 0 }) as EventRow);

/** The event ids of one insert call: the first field of each TabSeparated line it streamed. */
async function insertedIds(values: Readable): Promise<string[]> {
  let text = '';
  for await (const piece of values) text += String(piece);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t')[0]);
}

describe('EventStore.insert', () => {
  it('splits a batch into parallel chunks covering every row once', async () => {
    const seen: string[][] = [];
    const client = { insert: async ({ values }: { values: Readable }) => void seen.push(await insertedIds(values)) };
    await new EventStore(client as unknown as ClickHouseClient, 'db').insert(rows(5), SOURCE, 2);
    expect([...seen].sort((a, b) => a[0].localeCompare(b[0]))).toEqual([
      ['e0', 'e1', 'e2'],
      ['e3', 'e4'],
    ]);
  });

  it('reports a failed chunk only after every chunk has settled', async () => {
    let slowChunkDone = false;
    const client = {
      insert: async ({ values }: { values: Readable }) => {
        if ((await insertedIds(values))[0] === 'e0') throw new Error('chunk failed');
        await new Promise((r) => setTimeout(r, 50));
        slowChunkDone = true;
      },
    };
    await expect(new EventStore(client as unknown as ClickHouseClient, 'db').insert(rows(4), SOURCE, 2)).rejects.toThrow('chunk failed');
    expect(slowChunkDone).toBe(true);
  });
});

describe('insert query ids', () => {
  it('name the topic and partitions, so a lookup can wait for inserts of the same partitions', () => {
    const id = insertQueryId(SOURCE);
    expect(id).toMatch(/^ingest-insert:voucher-events:1\.4:[0-9a-f-]{36}$/);
    expect(writesAnyOf(id, { topic: 'voucher-events', partitions: [4] })).toBe(true);
    expect(writesAnyOf(id, { topic: 'voucher-events', partitions: [0, 2, 3, 5] })).toBe(false);
    expect(writesAnyOf(id, { topic: 'other-events', partitions: [1] })).toBe(false);
    expect(writesAnyOf('some-other-query', SOURCE)).toBe(false);
    expect(writesAnyOf('ingest-insert:voucher-events', SOURCE)).toBe(false);
  });
});
