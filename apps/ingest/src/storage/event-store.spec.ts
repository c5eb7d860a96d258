import type { ClickHouseClient } from '@clickhouse/client';
import type { Readable } from 'node:stream';
import type { EventRow } from '@app/contracts';
import { EventStore, insertChunks, insertQueryId, writesAnyOf } from './event-store';

const SOURCE = { topic: 'voucher-events', partitions: [1, 4] };

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ event_id: `e${i}`, source: 's', time: '2024-03-01 10:00:00', time_ms: 0 }) as EventRow);

/** The event ids of one insert call: the first field of each TabSeparated line it streamed. */
async function insertedIds(values: Readable): Promise<string[]> {
  let text = '';
  for await (const piece of values) text += String(piece);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t')[0]);
}

describe('insertChunks', () => {
  const inMonth = (id: string, month: string) => ({ event_id: id, time: `${month}-15 10:00:00` }) as EventRow;
  const months = (chunk: EventRow[]) => new Set(chunk.map((r) => r.time.slice(0, 7))).size;

  it('keeps even slices while none spans too many months', () => {
    const batch = ['2024-01', '2024-02', '2024-03', '2024-04'].map((m, i) => inMonth(`e${i}`, m));
    expect(insertChunks(batch, 2, 2)).toEqual([batch.slice(0, 2), batch.slice(2)]);
  });

  it('packs whole months, at most the limit per insert, when a batch spans more (years of history)', () => {
    // 9 years of monthly orders, interleaved as a producer might send them.
    const history = Array.from({ length: 108 * 3 }, (_, i) => {
      const m = i % 108;
      return inMonth(`e${i}`, `${2015 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`);
    });
    const chunks = insertChunks(history, 2);
    expect(chunks.map(months)).toEqual([50, 50, 8]);
    expect(chunks.flat().map((r) => r.event_id).sort()).toEqual(history.map((r) => r.event_id).sort()); // every row once
  });
});

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
