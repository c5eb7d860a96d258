import { ClickHouseQueryError, isUnavailable } from './clickhouse-failure';

describe('isUnavailable', () => {
  it('transport failures: refused, reset, undici timeouts and lost sockets', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET']) {
      expect(isUnavailable(Object.assign(new Error('x'), { code }))).toBe(true);
    }
    expect(isUnavailable(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toBe(true);
    expect(isUnavailable(new Error('boom'))).toBe(false);
  });

  it('ClickHouse errors that mean the cluster cannot serve now, by header or by the appended text', () => {
    expect(isUnavailable(new ClickHouseQueryError('Code: 202, e.displayText() = DB::Exception: Too many simultaneous queries', '202'))).toBe(true);
    expect(isUnavailable(new ClickHouseQueryError('…', '279'))).toBe(true); // all connection tries to a shard failed
    expect(isUnavailable(new ClickHouseQueryError('{"n":"1"}\n{"n":"2"}\nCode: 210, e.displayText() = DB::NetException: Connection refused'))).toBe(true);
  });

  it('any other ClickHouse error is the query failing, whatever its text says', () => {
    expect(isUnavailable(new ClickHouseQueryError('Code: 47, e.displayText() = DB::Exception: Missing columns', '47'))).toBe(false);
    expect(isUnavailable(new ClickHouseQueryError('Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 11 seconds', '159'))).toBe(false);
    // A mid-answer exception: the last code in the text counts, not a number inside the rows.
    expect(isUnavailable(new ClickHouseQueryError('{"s":"Code: 202"}\nCode: 395, e.displayText() = DB::Exception: Value passed to throwIf is non zero'))).toBe(false);
    expect(isUnavailable(new ClickHouseQueryError('not a ClickHouse error at all'))).toBe(false);
  });
});
