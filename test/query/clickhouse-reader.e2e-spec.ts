import { loadConfig } from '@app/config';
import { ClickHouseReader } from '../../apps/query/src/common/clickhouse/clickhouse-reader';
import { TEST_ENV } from '../support/env';

/**
 * The query service's reader parses ClickHouse's answers itself (undici, not the official client):
 * checked here against the real server, in-process, for the answers an HTTP test cannot provoke.
 */
describe('ClickHouseReader against the real ClickHouse', () => {
  const reader = new ClickHouseReader(loadConfig({ ...TEST_ENV, NODE_ENV: 'test' }, 'query'));
  afterAll(() => reader.onApplicationShutdown());

  const failure = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (err: { code?: string }) => err.code,
    );

  it('returns every row of a JSONEachRow answer, strings byte for byte and 64-bit integers as strings', async () => {
    const rows = await reader.rows<{ n: string; s: string }>(
      'test',
      `SELECT toUInt64(number) * 1000000000000 AS n, concat('line\\nbreak "quoted" \\'single\\' 😀 ', toString(number)) AS s FROM system.numbers LIMIT 3`,
    );
    expect(rows).toEqual([0, 1, 2].map((i) => ({ n: String(i * 1_000_000_000_000), s: `line\nbreak "quoted" 'single' 😀 ${i}` })));
    expect(await reader.rows('test', 'SELECT 1 AS x WHERE 0')).toEqual([]);
  });

  it('a statement ClickHouse refuses is INTERNAL_ERROR, not SERVICE_UNAVAILABLE', async () => {
    expect(await failure(reader.rows('test', 'SELECT no_such_column FROM system.one'))).toBe('INTERNAL_ERROR');
  });

  it('an exception after the answer has begun streaming is INTERNAL_ERROR', async () => {
    // ~40 MB of rows reach the client before the exception: 18.16 then appends its text to the body
    // under the 200 status it has already sent, so only the parse can tell.
    const query = 'SELECT number, throwIf(number = 1500000) AS t FROM system.numbers LIMIT 2000000 SETTINGS max_block_size = 65536';
    expect(await failure(reader.rows('test', query))).toBe('INTERNAL_ERROR');
  });
});
