import { createWriteStream } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { columnName } from './export-rows.query';
import { CsvRecordCounter, writeCsv, writeJson, writeXlsx } from './file-writers';

async function collect(run: (dest: PassThrough) => Promise<unknown>): Promise<Buffer> {
  const dest = new PassThrough();
  const chunks: Buffer[] = [];
  dest.on('data', (c) => chunks.push(c));
  await run(dest);
  return Buffer.concat(chunks);
}

describe('writeJson', () => {
  const cases: Array<[string, Buffer[]]> = [
    ['empty', []],
    ['one row', [Buffer.from('{"a":1}\n')]],
    ['rows split anywhere', [Buffer.from('{"a":1}\n{"a'), Buffer.from('":2}'), Buffer.from('\n'), Buffer.from('{"a":"é"}\n')]],
  ];
  it.each(cases)('turns JSONEachRow into one array (%s)', async (_name, chunks) => {
    let seen = 0;
    const out = await collect((dest) => writeJson(Readable.from(chunks), dest, { columns: ['a'], onRows: (n) => (seen = n) }));
    const parsed = JSON.parse(out.toString('utf8'));
    const expected = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(parsed).toEqual(expected);
    expect(seen).toBe(expected.length);
  });

  it('keeps a last row whose text quotes a ClickHouse error message', async () => {
    const chunks = [Buffer.from('{"reason":"Code: 1. DB::Exception raised by the POS"}\n')];
    const out = await collect((dest) => writeJson(Readable.from(chunks), dest, { columns: ['reason'], onRows: () => undefined }));
    expect(JSON.parse(out.toString('utf8'))).toEqual([{ reason: 'Code: 1. DB::Exception raised by the POS' }]);
  });

  it('fails when ClickHouse appended an error to the stream', async () => {
    const chunks = [Buffer.from('{"a":1}\nCode: 241, e.displayText() = DB::Exception: Memory limit exceeded')];
    await expect(collect((dest) => writeJson(Readable.from(chunks), dest, { columns: ['a'], onRows: () => undefined }))).rejects.toThrow(
      /ClickHouse failed/,
    );
  });
});

describe('row counts (the record_count of an export)', () => {
  it('CSV: a newline inside a quoted cell is not a record; chunks may split anywhere', async () => {
    const csv = '"id","note"\n"a","line one\nline two"\n"b","say ""hi""\n"\n"c",""\n';
    const counter = new CsvRecordCounter();
    for (let i = 0; i < csv.length; i += 3) counter.push(Buffer.from(csv.slice(i, i + 3)));
    expect(counter.records).toBe(4); // the header and three rows
    let written = -1;
    await collect(async (dest) => (written = await writeCsv(Readable.from([Buffer.from(csv)]), dest, { columns: ['id', 'note'], onRows: () => undefined })));
    expect(written).toBe(3);
  });

  it('JSON: one per JSONEachRow line', async () => {
    let written = -1;
    await collect(async (dest) => (written = await writeJson(Readable.from([Buffer.from('{"a":1}\n{"a'), Buffer.from('":"x\\ny"}\n')]), dest, { columns: ['a'], onRows: () => undefined })));
    expect(written).toBe(2);
  });
});

describe('writeXlsx', () => {
  it('puts the header and the pre-rendered rows into a workbook exceljs reads back', async () => {
    const rows = [
      '<row r="2"><c r="A2" t="str"><v>x &amp; &lt;y&gt;</v></c><c r="B2"><v>1.5</v></c></row>\n',
      '<row r="3"><c r="A3" t="str"><v>\'=1+1</v></c><c r="B3"><v>-2</v></c></row>\n',
    ];
    const chunks = [Buffer.from(rows[0] + rows[1].slice(0, 20)), Buffer.from(rows[1].slice(20))];
    let seen = 0;
    const out = await collect((dest) => writeXlsx(Readable.from(chunks), dest, { columns: ['a', 'b'], onRows: (n) => (seen = n) }));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(out as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.getRow(1).values).toEqual([undefined, 'a', 'b']);
    expect(ws.getRow(2).values).toEqual([undefined, 'x & <y>', 1.5]);
    expect(ws.getRow(3).values).toEqual([undefined, "'=1+1", -2]);
    expect(seen).toBe(2);
  });
});

describe('columnName', () => {
  it('names spreadsheet columns', () => {
    expect([0, 13, 25, 26, 27, 701, 702].map(columnName)).toEqual(['A', 'N', 'Z', 'AA', 'AB', 'ZZ', 'AAA']);
  });
});

describe('a destination that fails (disk full)', () => {
  it.each([
    ['csv', writeCsv],
    ['json', writeJson],
    ['xlsx', writeXlsx],
  ] as const)('%s: the write rejects, the ClickHouse stream is closed, and the process carries on', async (_format, write) => {
    // /dev/full refuses every write with ENOSPC; the error arrives while the writer waits for the
    // next chunk, where it used to be an uncaught 'error' event that killed the worker.
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 50; i++) {
          // Small chunks: each write is accepted into the buffer, so nothing awaits 'drain' when it fails.
          yield Buffer.from(`<row r="${i + 2}"><c r="A${i + 2}"><v>${i}</v></c></row>\n`);
          await new Promise((r) => setTimeout(r, 20));
        }
      })(),
    );
    const dest = createWriteStream('/dev/full');
    await expect(write(source, dest, { columns: ['a'], onRows: () => undefined })).rejects.toThrow(/ENOSPC/);
    expect(source.destroyed).toBe(true);
  });
});
