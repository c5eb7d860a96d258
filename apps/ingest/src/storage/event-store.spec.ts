import type { ClickHouseClient } from '@clickhouse/client';
import type { EventRow } from '@app/contracts';
import { EventStore } from './event-store';

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ event_id: `e${i}` }) as EventRow);

describe('EventStore.insert', () => {
  it('splits a batch into parallel chunks covering every row once', async () => {
    const seen: string[][] = [];
    const client = { insert: async ({ values }: { values: EventRow[] }) => void seen.push(values.map((v) => v.event_id)) };
    await new EventStore(client as unknown as ClickHouseClient, 'db').insert(rows(5), 2);
    expect(seen).toEqual([
      ['e0', 'e1', 'e2'],
      ['e3', 'e4'],
    ]);
  });

  it('reports a failed chunk only after every chunk has settled', async () => {
    let slowChunkDone = false;
    const client = {
      insert: async ({ values }: { values: EventRow[] }) => {
        if (values[0].event_id === 'e0') throw new Error('chunk failed');
        await new Promise((r) => setTimeout(r, 50));
        slowChunkDone = true;
      },
    };
    await expect(new EventStore(client as unknown as ClickHouseClient, 'db').insert(rows(4), 2)).rejects.toThrow('chunk failed');
    expect(slowChunkDone).toBe(true);
  });
});
