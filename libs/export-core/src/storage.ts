import { createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface StorageWriter {
  stream: WriteStream;
  /** Makes the file visible under its final key in one step; returns its size in bytes. */
  commit(): Promise<number>;
  abort(): Promise<void>;
}

/**
 * Where export files live. Local directory today (a mounted volume in Kubernetes); an object store
 * fits behind the same four calls (multipart upload = writer, completion = commit).
 */
export interface ExportStorage {
  createWriter(key: string): Promise<StorageWriter>;
  openRead(key: string): Promise<ReadStream | null>;
  delete(key: string): Promise<void>;
  /** Removes partial files interrupted attempts (e.g. a SIGKILLed worker) left under keys starting with `prefix`. */
  removePartials(prefix: string): Promise<void>;
  /**
   * Removes every file, complete or partial, under keys starting with `prefix.`: once an export
   * has ended, also those of attempts whose outcome was never recorded (a worker dying between
   * its file's rename and the completion) that no record names.
   */
  removeAll(prefix: string): Promise<void>;
}

const TMP_PREFIX = '.partial-';

export class LocalDirStorage implements ExportStorage {
  constructor(private readonly dir: string) {}

  private path(key: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(key) || key.startsWith('.')) throw new Error(`bad storage key ${key}`);
    return join(this.dir, key);
  }

  async createWriter(key: string): Promise<StorageWriter> {
    await mkdir(this.dir, { recursive: true });
    const final = this.path(key);
    // Readers only ever open the final name, so a file is either absent or complete.
    const tmp = join(this.dir, `${TMP_PREFIX}${key}.${randomBytes(6).toString('hex')}`);
    const stream = createWriteStream(tmp);
    return {
      stream,
      commit: async () => {
        await rename(tmp, final);
        return (await stat(final)).size;
      },
      abort: async () => {
        stream.destroy();
        await rm(tmp, { force: true });
      },
    };
  }

  async openRead(key: string): Promise<ReadStream | null> {
    const path = this.path(key);
    try {
      await stat(path);
    } catch {
      return null;
    }
    return createReadStream(path);
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  /** Deletes the partial files whose key starts with `prefix` (an export's attempts all do). */
  async removePartials(prefix: string): Promise<void> {
    await this.removeWhere(prefix, (n) => n.startsWith(`${TMP_PREFIX}${prefix}.`));
  }

  async removeAll(prefix: string): Promise<void> {
    await this.removeWhere(prefix, (n) => n.startsWith(`${prefix}.`) || n.startsWith(`${TMP_PREFIX}${prefix}.`));
  }

  private async removeWhere(prefix: string, match: (name: string) => boolean): Promise<void> {
    this.path(prefix);
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(names.filter(match).map((n) => rm(join(this.dir, n), { force: true })));
  }
}
