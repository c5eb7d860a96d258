import { sqlString } from '@app/clickhouse';
import { testClickHouse } from '../support/clickhouse';

/**
 * Fuzz against the real ClickHouse (it runs during `npm test`): whatever string goes in, the
 * literal must parse as exactly that string — never break out of the quotes.
 */
describe('sqlString round trip through ClickHouse', () => {
  const client = testClickHouse();
  afterAll(() => client.close());

  const hostile = [
    "'",
    "\\'",
    "\\",
    "' OR 1=1 --",
    "'); DROP TABLE voucher_events; --",
    '\0',
    '\n\r\t\b\f',
    '😀 ünïcödé 中文',
    '\u2028\u2029',
    "'\\''",
    '%s %d {x:String}',
    '\x1b[31m',
  ];
  const alphabet = ["'", '\\', '"', '`', '\0', '\n', '\r', '\t', ';', '-', '/', '*', 'a', 'é', '😀', ' ', '{', '}', '\u0001', '\x7f'];
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const random = Array.from({ length: 300 }, () =>
    Array.from({ length: Math.floor(rand() * 20) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''),
  );

  it('returns every hostile and random string unchanged', async () => {
    const inputs = [...hostile, ...random];
    const query = `SELECT ${inputs.map((s, i) => `${sqlString(s)} AS c${i}`).join(', ')}`;
    const result = await client.query({ query, format: 'JSONEachRow' });
    const [row] = await result.json<Record<string, string>>();
    inputs.forEach((s, i) => expect(row[`c${i}`]).toBe(s));
  });
});
