/**
 * What a failed ClickHouse read means for the caller: "no server can answer now" (the client
 * should retry: SERVICE_UNAVAILABLE) or "this query failed" (INTERNAL_ERROR). Kept apart from the
 * reader so the classification can be tested without provoking each failure.
 */

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  // undici's own transport failures: no connection, no answer in time, connection lost mid-answer
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * ClickHouse's own errors that say the cluster cannot serve the query right now, whatever the
 * query: too many queries at once (202), no free connection to a shard (203), a shard's socket
 * timed out or failed (209, 210), no replica reachable or fresh enough (265, 279, 369, 415). With
 * CLICKHOUSE_CLUSTER, a shard that is down surfaces as these, not as a refused connection.
 */
const UNAVAILABLE_EXCEPTION_CODES = new Set([202, 203, 209, 210, 265, 279, 369, 415]);

/** ClickHouse answered with an error: its text, and its exception code when it sent one. */
export class ClickHouseQueryError extends Error {
  readonly exceptionCode?: number;

  constructor(text: string, header?: string | string[]) {
    super(text);
    // The header when the error came before the answer; otherwise the last "Code: N" of the text,
    // which 18.16 appends to an answer it has already begun streaming.
    const fromHeader = Number(Array.isArray(header) ? header[0] : header);
    const fromText = [...text.matchAll(/Code: (\d+)/g)].at(-1)?.[1];
    const code = Number.isInteger(fromHeader) && fromHeader > 0 ? fromHeader : Number(fromText);
    if (Number.isInteger(code) && code > 0) this.exceptionCode = code;
  }
}

/**
 * True when no ClickHouse server could answer (transport failure, timeout, cluster unavailable).
 * Transport failures are told by their error code: undici and Node's sockets set one on each.
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof ClickHouseQueryError) return err.exceptionCode !== undefined && UNAVAILABLE_EXCEPTION_CODES.has(err.exceptionCode);
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : e?.cause?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}
