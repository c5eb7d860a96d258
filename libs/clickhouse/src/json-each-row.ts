/** The rows of a ClickHouse JSONEachRow answer (one JSON object per line). */
export function parseJsonEachRow<T>(text: string): T[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}
