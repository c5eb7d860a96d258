import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import ExcelJS from 'exceljs';

export interface WriteOptions {
  columns: string[];
  /** Called with the rows written so far (throttled by the caller). */
  onRows: (rows: number) => void;
  /** Test-only slow-down after each chunk (fault injection). */
  chunkDelayMs?: number;
}

const NEWLINE = 0x0a;
/**
 * ClickHouse's appended error starts a line of its own; a row's line starts with `"`, `{` or
 * `<row`, so a cell that merely quotes such a message ("Code: 1. DB::Exception raised by the
 * POS") is data, not a failure (it used to fail the export on every attempt).
 */
const CLICKHOUSE_ERROR = /(^|\n)Code: \d+(, e\.displayText\(\) = |\. )DB::Exception/;

async function write(dest: Writable, data: Buffer | string): Promise<void> {
  if (!dest.write(data)) await once(dest, 'drain');
}

async function endStream(dest: Writable): Promise<void> {
  dest.end();
  await once(dest, 'finish');
}

const pause = (ms?: number) => (ms ? new Promise((r) => setTimeout(r, ms)) : undefined);

/**
 * Wraps one writer so that any failure of the destination rejects it. A file stream reports a
 * failed write (disk full, I/O error) as an 'error' event, possibly while the writer is waiting
 * for ClickHouse's next chunk and nobody listens: that event crashed the whole worker, every
 * export in it, and the retry again. On any failure the ClickHouse stream is closed too.
 */
function guarded(body: FileWriter): FileWriter {
  return async (source, dest, opts) => {
    let onError: (err: Error) => void = () => undefined;
    const destinationFailed = new Promise<never>((_, reject) => {
      onError = reject;
      dest.on('error', onError);
    });
    try {
      return await Promise.race([body(source, dest, opts), destinationFailed]);
    } catch (err) {
      source.destroy();
      throw err;
    } finally {
      dest.off('error', onError);
    }
  };
}

/** Resolves to the number of data rows written (the header excluded): the export's record_count. */
type FileWriter = (source: Readable, dest: Writable, opts: WriteOptions) => Promise<number>;

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE); i !== -1; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/**
 * ClickHouse reports an error that happens after the first bytes were sent by appending its
 * message to the body (the status is already 200), so the tail of every stream is checked.
 */
class TailCheck {
  private tail = Buffer.alloc(0);
  push(chunk: Buffer): void {
    this.tail = Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - 1024))]).subarray(-1024);
  }
  assertClean(): void {
    if (CLICKHOUSE_ERROR.test(this.tail.toString('utf8'))) throw new Error('ClickHouse failed while streaming the export');
  }
}

/**
 * Counts CSV records across chunks: a newline ends one only outside quotes (a quoted cell may hold
 * newlines; an escaped quote is two quotes, which toggle twice).
 */
export class CsvRecordCounter {
  private inQuotes = false;
  records = 0;
  push(chunk: Buffer): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === QUOTE) this.inQuotes = !this.inQuotes;
      else if (b === NEWLINE && !this.inQuotes) this.records++;
    }
  }
}

const QUOTE = 0x22;

/** CSV: ClickHouse's own CSVWithNames bytes go to disk as they are; records are counted on the way. */
export const writeCsv = guarded(csvBody);

async function csvBody(source: Readable, dest: Writable, opts: WriteOptions): Promise<number> {
  const tail = new TailCheck();
  const counter = new CsvRecordCounter();
  for await (const chunk of source as AsyncIterable<Buffer>) {
    tail.push(chunk);
    await write(dest, chunk);
    counter.push(chunk);
    opts.onRows(Math.max(0, counter.records - 1));
    await pause(opts.chunkDelayMs);
  }
  tail.assertClean();
  await endStream(dest);
  return Math.max(0, counter.records - 1); // the header line is not a record
}

/** JSON: JSONEachRow lines joined into one array, byte for byte, without parsing. */
export const writeJson = guarded(jsonBody);

async function jsonBody(source: Readable, dest: Writable, opts: WriteOptions): Promise<number> {
  const tail = new TailCheck();
  const separator = Buffer.from(',\n');
  const first = Buffer.from('\n');
  let rows = 0;
  let atRowStart = true;
  await write(dest, '[');
  for await (const chunk of source as AsyncIterable<Buffer>) {
    tail.push(chunk);
    const parts: Buffer[] = [];
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, from);
      const end = nl === -1 ? chunk.length : nl;
      if (end > from) {
        // A row's first bytes: the separator goes before it, so the array never ends with a comma.
        if (atRowStart) parts.push(rows === 0 ? first : separator);
        atRowStart = false;
        parts.push(chunk.subarray(from, end));
      }
      if (nl === -1) break;
      if (!atRowStart) rows++;
      atRowStart = true;
      from = nl + 1;
    }
    if (parts.length) await write(dest, Buffer.concat(parts));
    opts.onRows(rows);
    await pause(opts.chunkDelayMs);
  }
  tail.assertClean();
  await write(dest, rows ? '\n]\n' : ']\n');
  await endStream(dest);
  return rows;
}

/**
 * XLSX: exceljs's streaming WorkbookWriter builds the package (content types, workbook, rels, zip)
 * and writes the header row, which opens the sheet's <sheetData>. The data rows arrive already
 * rendered as SpreadsheetML by ClickHouse (ExportRowsQuery.xlsxRowsSql) and are copied into that
 * worksheet's part stream: exceljs's per-cell object model costs ~40 µs per 14-column row
 * (profiled), several times everything else. Tests read every file back with exceljs.
 */
export const writeXlsx = guarded(xlsxBody);

async function xlsxBody(source: Readable, dest: Writable, opts: WriteOptions): Promise<number> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: dest,
    useStyles: false,
    useSharedStrings: false,
    // Deflate level 1: row XML is repetitive, so files stay small while compression stops dominating the CPU.
    zip: { zlib: { level: 1 } },
  } as ConstructorParameters<typeof ExcelJS.stream.xlsx.WorkbookWriter>[0]);
  const sheet = workbook.addWorksheet('export');
  sheet.addRow(opts.columns).commit();
  const part = (sheet as unknown as { stream: { write(data: Buffer): unknown } }).stream;
  const tail = new TailCheck();
  let rows = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    tail.push(chunk);
    await part.write(chunk);
    rows += countNewlines(chunk);
    opts.onRows(rows);
    await pause(opts.chunkDelayMs);
  }
  tail.assertClean();
  sheet.commit();
  await workbook.commit();
  if (!dest.writableFinished) await once(dest, 'finish');
  return rows; // one line per row: the row XML escapes line breaks (ExportRowsQuery.xlsxRowsSql)
}
