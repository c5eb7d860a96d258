import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDirStorage } from './storage';

describe('LocalDirStorage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'export-storage-'));
    for (const name of ['export_aa.1111.csv', 'export_aa.2222.csv', '.partial-export_aa.3333.csv.abc', 'export_aab.1111.csv', 'export_bb.1111.json']) {
      await writeFile(join(dir, name), 'x');
    }
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('removePartials takes only an export\'s partial files', async () => {
    await new LocalDirStorage(dir).removePartials('export_aa');
    expect((await readdir(dir)).sort()).toEqual(['export_aa.1111.csv', 'export_aa.2222.csv', 'export_aab.1111.csv', 'export_bb.1111.json']);
  });

  it('removeAll takes every file of one export (an orphaned attempt too), and nothing of another', async () => {
    await new LocalDirStorage(dir).removeAll('export_aa');
    expect((await readdir(dir)).sort()).toEqual(['export_aab.1111.csv', 'export_bb.1111.json']);
  });
});
