// A lease in a directory on a local disk, for running without Kubernetes (`ors local`).
//
// Compare-and-swap without locks: each version of the lease is an immutable file
// `gen-<n>.json`; the current lease is the highest n. Replacing version n means creating
// gen-<n+1>.json with link(2), which fails with EEXIST when another process got there
// first, so exactly one of two racing writers wins. The content is written and fsynced to
// a private temporary file before the link, so a reader never sees a half-written lease
// and a writer killed with -9 leaves at worst a stray temporary file (no stale lock).
// Old generations are garbage-collected, so a writer holding a version so old that its
// successor was collected could recreate that successor. To tell that stale write from a
// good one that others already built on, every generation names its parent (a random
// nonce per generation): after linking, the writer looks at the next generation; if it
// exists and names another parent, or the chain is gone, the write was stale and is
// withdrawn (it was never the highest, so no reader took it for the current lease).
// The version handed out is "<generation>:<nonce>".
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, link, unlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { LeaseConflictError, type LeaseLock } from './lease-lock.ts';
import { LeaseRecordSchema, type LeaseRecord, type VersionedLeaseRecord } from './lease-record.ts';

const GENERATION_FILE = /^gen-(\d+)\.json$/;
/** Generations kept behind the newest one; older ones are deleted. */
const KEEP_GENERATIONS = 16;

const GenerationFileSchema = z.object({ nonce: z.string(), parent: z.string(), record: LeaseRecordSchema });
const STALE_TEMP_MS = 60_000;

export class FileLeaseLock implements LeaseLock {
  readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
  }

  describe(): string {
    return `file lease ${this.directory}`;
  }

  async get(): Promise<VersionedLeaseRecord | undefined> {
    // A generation can be collected between readdir and readFile; then the newest is newer: look again.
    for (let attempt = 0; attempt < 10; attempt++) {
      const newest = await this.newestGeneration();
      if (newest === undefined) return undefined;
      let text: string;
      try {
        text = await readFile(this.generationPath(newest), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const parsed = GenerationFileSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`${this.describe()}: generation ${newest} is not a lease record: ${parsed.error.message}`);
      return { record: parsed.data.record, version: `${newest}:${parsed.data.nonce}` };
    }
    throw new Error(`${this.describe()}: the lease kept changing while being read`);
  }

  async create(record: LeaseRecord): Promise<VersionedLeaseRecord> {
    await mkdir(this.directory, { recursive: true });
    if ((await this.newestGeneration()) !== undefined) throw new LeaseConflictError(this.describe(), 'already exists');
    return this.write(record, 1, '');
  }

  async update(record: LeaseRecord, version: string): Promise<VersionedLeaseRecord> {
    const [generationText, parent] = version.split(':');
    const generation = Number(generationText);
    if (!Number.isSafeInteger(generation) || generation < 1 || !parent) throw new Error(`${this.describe()}: bad version ${version}`);
    return this.write(record, generation + 1, parent);
  }

  async patchAnnotations(annotations: Record<string, string | null>): Promise<void> {
    // No merge patch on a file: compare-and-swap until it lands (conflicts are short-lived).
    for (let attempt = 0; attempt < 50; attempt++) {
      const current = await this.get();
      const base = current?.record ?? { holderIdentity: '', acquireTime: 0, renewTime: 0, leaseDurationSeconds: 1, leaseTransitions: 0, annotations: {} };
      const merged = { ...base.annotations };
      for (const [key, value] of Object.entries(annotations)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      try {
        if (current) await this.update({ ...base, annotations: merged }, current.version);
        else await this.create({ ...base, annotations: merged });
        return;
      } catch (error) {
        if (!(error instanceof LeaseConflictError)) throw error;
      }
    }
    throw new LeaseConflictError(this.describe(), 'could not patch annotations: too much contention');
  }

  private async write(record: LeaseRecord, generation: number, parent: string): Promise<VersionedLeaseRecord> {
    const nonce = randomBytes(8).toString('hex');
    const temp = path.join(this.directory, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(JSON.stringify({ nonce, parent, record: LeaseRecordSchema.parse(record) }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    const target = this.generationPath(generation);
    try {
      await link(temp, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new LeaseConflictError(this.describe(), `generation ${generation} was written by someone else`);
      }
      throw error;
    } finally {
      await unlink(temp).catch(() => {});
    }
    if (!(await this.isOnTheChain(generation, nonce))) {
      await unlink(target).catch(() => {});
      throw new LeaseConflictError(this.describe(), `generation ${generation} was stale (its successor predates it)`);
    }
    await this.syncDirectory();
    await this.collect(generation);
    return { record, version: `${generation}:${nonce}` };
  }

  /** Whether our just-linked generation is the newest, or its successor was built on it. */
  private async isOnTheChain(generation: number, nonce: string): Promise<boolean> {
    const newest = await this.newestGeneration();
    if (newest === generation) return true;
    let text: string;
    try {
      text = await readFile(this.generationPath(generation + 1), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    return GenerationFileSchema.parse(JSON.parse(text)).parent === nonce;
  }

  private async newestGeneration(): Promise<number | undefined> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let newest: number | undefined;
    for (const name of names) {
      const match = GENERATION_FILE.exec(name);
      if (match) newest = Math.max(newest ?? 0, Number(match[1]));
    }
    return newest;
  }

  private async collect(newest: number): Promise<void> {
    const names = await readdir(this.directory).catch(() => [] as string[]);
    for (const name of names) {
      const match = GENERATION_FILE.exec(name);
      if (match && Number(match[1]) < newest - KEEP_GENERATIONS) {
        await unlink(path.join(this.directory, name)).catch(() => {});
      } else if (name.startsWith('.tmp-')) {
        const file = path.join(this.directory, name);
        const info = await stat(file).catch(() => undefined);
        if (info && Date.now() - info.mtimeMs > STALE_TEMP_MS) await unlink(file).catch(() => {});
      }
    }
  }

  private async syncDirectory(): Promise<void> {
    const handle = await open(this.directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private generationPath(generation: number): string {
    return path.join(this.directory, `gen-${generation}.json`);
  }
}
