/**
 * ClickHouse 18.16 has no query parameters, so values reach SQL as literals. This is the one
 * place that turns a value into a literal; callers validate input first, this makes it inert.
 */
const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A single-quoted ClickHouse string literal for any JS string. */
export function sqlString(value: string): string {
  return `'${value.replace(/[\\'\0\n\r\t\b\f]/g, (c) => ESCAPES[c])}'`;
}

/** A numeric literal; refuses anything that is not a finite number. */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
  return String(value);
}

/** An Int64 literal from its decimal text, exact where a JS number would round (past 2^53). */
export function sqlInt64(text: string): string {
  if (!/^-?\d{1,19}$/.test(text) || BigInt(text) > 2n ** 63n - 1n || BigInt(text) < -(2n ** 63n)) throw new TypeError(`not an Int64: ${text}`);
  return String(BigInt(text));
}

/** A comma-separated list of string literals for `IN (...)`. */
export function sqlStringList(values: readonly string[]): string {
  return values.map(sqlString).join(', ');
}

/** A plain identifier (database/table name); refuses anything needing quotes. */
export function sqlIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`not a plain identifier: ${name}`);
  return name;
}
