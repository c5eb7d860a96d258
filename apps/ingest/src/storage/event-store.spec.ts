import type { ClickHouseClient } from '@clickhouse/client';
import type { Readable } from 'node:stream';
import type { EventRow } from '@app/contracts';
import { EventStore } from './event-store';

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
    await new EventStore(client as unknown as ClickHouseClient, 'db').insert(rows(5), 2);
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
    await expect(new EventStore(client as unknown as ClickHouseClient, 'db').insert(rows(4), 2)).rejects.toThrow('chunk failed');
    expect(slowChunkDone).toBe(true);
  });
});
