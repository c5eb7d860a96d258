const CH_URL = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';

/** One statement over ClickHouse's HTTP interface (URL parameters such as database or default_format); its answer as text, trimmed. */
export async function ch(sql: string, params: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${CH_URL}/?${new URLSearchParams(params)}`, { method: 'POST', body: sql });
  const text = await res.text();
  if (!res.ok) throw new Error(`${sql.slice(0, 80)}: ${text.slice(0, 300)}`);
  return text.trim();
}
