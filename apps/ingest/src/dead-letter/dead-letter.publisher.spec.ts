import type { RejectedMessage } from '../pipeline/classify-batch';
import { DEAD_LETTER_SEND_BYTES, deadLetterBytes, deadLetterChunks } from './dead-letter.publisher';

const reject = (i: number, valueBytes: number): RejectedMessage => ({
  topic: 'voucher-events',
  partition: i % 6,
  offset: String(i),
  key: Buffer.from(`v_${i % 500}`),
  value: Buffer.alloc(valueBytes, 'x'),
  headers: { 'ce-source': 'checkout' },
  reason: 'invalid_value',
  detail: 'data.currency: must be a three-letter upper-case code',
});

describe('deadLetterChunks', () => {
  it('splits a large flush of rejects into sends far below the 2 MiB batch limit, in order, losing none', () => {
    // ~20k rejects of ~250 bytes: 5 MB in one send was refused as MESSAGE_TOO_LARGE forever.
    const rejects = Array.from({ length: 20_000 }, (_, i) => reject(i, 250));
    const chunks = deadLetterChunks(rejects);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) expect(chunk.reduce((n, r) => n + deadLetterBytes(r), 0)).toBeLessThanOrEqual(DEAD_LETTER_SEND_BYTES);
    expect(chunks.flat()).toEqual(rejects);
  });

  it('sends a message larger than the budget on its own', () => {
    const rejects = [reject(0, 100), reject(1, 1024 * 1024), reject(2, 100)];
    expect(deadLetterChunks(rejects).map((c) => c.map((r) => r.offset))).toEqual([['0'], ['1'], ['2']]);
  });

  it('keeps small sets in one send and makes none for no rejects', () => {
    expect(deadLetterChunks([reject(0, 10), reject(1, 10)])).toHaveLength(1);
    expect(deadLetterChunks([])).toEqual([]);
  });
});
