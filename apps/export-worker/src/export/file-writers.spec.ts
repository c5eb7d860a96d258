import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { writeJson, writeXlsx } from './file-writers';

async function collect(run: (dest: PassThrough) => Promise<void>): Promise<Buffer> {
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

  it('fails when ClickHouse appended an error to the stream', async () => {
    const chunks = [Buffer.from('{"a":1}\nCode: 241, e.displayText() = DB::Exception: Memory limit exceeded')];
    await expect(collect((dest) => writeJson(Readable.from(chunks), dest, { columns: ['a'], onRows: () => undefined }))).rejects.toThrow(
      /ClickHouse failed/,
    );
  });
});

describe('writeXlsx', () => {
  it('writes a header and one row per line, with numbers as numbers', async () => {
    const chunks = [Buffer.from('{"a":"x","b":1.5}\n{"a":"\'=1+1",'), Buffer.from('"b":-2}\n')];
    const out = await collect((dest) => writeXlsx(Readable.from(chunks), dest, { columns: ['a', 'b'], onRows: () => undefined }));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(out as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.getRow(1).values).toEqual([undefined, 'a', 'b']);
    expect(ws.getRow(2).values).toEqual([undefined, 'x', 1.5]);
    expect(ws.getRow(3).values).toEqual([undefined, "'=1+1", -2]);
  });

  it('escapes XML, drops characters XML cannot carry, keeps spaces and unicode, leaves empty cells empty', async () => {
    const rows = [{ a: ' <b>&"x"</b> ', b: 'tab\there\u0001bell', c: '' }, { a: 'ünïcødé ✓ 😀', b: 'x', c: 'y' }];
    const chunks = [Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n')];
    const out = await collect((dest) => writeXlsx(Readable.from(chunks), dest, { columns: ['a', 'b', 'c'], onRows: () => undefined }));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(out as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.getRow(2).values).toEqual([undefined, ' <b>&"x"</b> ', 'tab\therebell']);
    expect(ws.getRow(3).values).toEqual([undefined, 'ünïcødé ✓ 😀', 'x', 'y']);
    expect(ws.actualRowCount).toBe(3);
  });
});
