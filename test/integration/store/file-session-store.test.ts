import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptStoreError, FileSessionStore } from '../../../runtime/store/file-session-store.ts';
import { StaleEpochError } from '../../../runtime/store/session-store.ts';
import { describeSessionStoreContract, session } from '../../contracts/session-store-contract.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ors-store-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function openStore(dir: string): Promise<FileSessionStore> {
  const store = new FileSessionStore({ directory: dir });
  await store.open();
  return store;
}

async function segmentOf(dir: string): Promise<string> {
  const nodeDir = path.join(dir, 'node-0');
  const names = (await readdir(nodeDir)).filter((n) => n.endsWith('.log')).sort();
  return path.join(nodeDir, names.at(-1)!);
}

const storeDirs = new WeakMap<object, string>();
describeSessionStoreContract(
  'file',
  async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    storeDirs.set(store, dir);
    return store;
  },
  { reopen: async (store) => openStore(storeDirs.get(store)!) },
);

describe('file session store durability', () => {
  it('a reopened store has everything that was acknowledged', async () => {
    const dir = await tempDir();
    const first = await openStore(dir);
    await first.save(session());
    await first.save(session({ sessionId: 's2', version: 4 }));
    await first.delete('node-0', 's1', 1);
    await first.close();
    const second = await openStore(dir);
    expect(await second.load('node-0', 's1')).toBeUndefined();
    expect((await second.load('node-0', 's2'))?.version).toBe(4);
  });

  it('ignores a torn last record and keeps the ones before it', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    await store.save(session({ version: 1, snapshot: 'one' }));
    await store.save(session({ version: 2, snapshot: 'two' }));
    await store.close();
    const file = await segmentOf(dir);
    const data = await readFile(file);
    await writeFile(file, data.subarray(0, data.length - 5)); // the last write was cut short
    const reopened = await openStore(dir);
    expect((await reopened.load('node-0', 's1'))?.snapshot).toBe('one');
    // The next primary's segment drops the torn bytes for good.
    await reopened.fence('node-0', 2);
    await reopened.save(session({ epoch: 2, version: 3, snapshot: 'three' }));
    await reopened.close();
    expect((await (await openStore(dir)).load('node-0', 's1'))?.snapshot).toBe('three');
  });

  it('ignores garbage appended after the last record (torn write of zeros)', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    await store.save(session({ snapshot: 'kept' }));
    await store.close();
    await appendFile(await segmentOf(dir), Buffer.alloc(3));
    expect((await (await openStore(dir)).load('node-0', 's1'))?.snapshot).toBe('kept');
  });

  it('reports corruption in the middle instead of silently dropping data', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    await store.save(session({ sessionId: 'a', snapshot: 'aaaaaaaaaaaaaaaaaaaa' }));
    await store.save(session({ sessionId: 'b' }));
    await store.close();
    const file = await segmentOf(dir);
    const data = await readFile(file);
    const at = data.indexOf('aaaaaaaaaa');
    data[at] = 'b'.charCodeAt(0);
    await writeFile(file, data);
    await expect((await openStore(dir)).load('node-0', 'a')).rejects.toBeInstanceOf(CorruptStoreError);
    await expect((await openStore(dir)).load('node-0', 'a')).rejects.toThrow(/corrupt at byte \d+: checksum mismatch/);
  });

  it('a writer in another process (another store instance) is fenced by a newer epoch', async () => {
    const dir = await tempDir();
    const oldPrimary = await openStore(dir);
    await oldPrimary.save(session({ epoch: 1, snapshot: 'old' }));
    const newPrimary = await openStore(dir);
    await newPrimary.fence('node-0', 2);
    expect((await newPrimary.load('node-0', 's1'))?.snapshot).toBe('old'); // took over the state
    await expect(oldPrimary.save(session({ epoch: 1, version: 2, snapshot: 'late' }))).rejects.toBeInstanceOf(StaleEpochError);
    await newPrimary.save(session({ epoch: 2, version: 2, snapshot: 'new' }));
    expect((await (await openStore(dir)).load('node-0', 's1'))?.snapshot).toBe('new');
  });

  it('compacts a segment that grew well past its live data, without losing anything', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    for (let version = 1; version <= 120; version++) {
      await store.save(session({ version, snapshot: { version, padding: 'x'.repeat(10_000) } }));
    }
    await store.close();
    const size = (await readFile(await segmentOf(dir))).length;
    expect(size).toBeLessThan(120 * 10_000);
    expect(((await (await openStore(dir)).load('node-0', 's1'))?.snapshot as { version: number }).version).toBe(120);
  });

  it('survives kill -9 of a writing process: every acknowledged save is there', async () => {
    const dir = await tempDir();
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'store-writer.ts'), dir, String(round + 1)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let acknowledged = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = chunk.toString().trim().split('\n');
        acknowledged = Math.max(acknowledged, Number(lines.at(-1)));
      });
      const deadline = Date.now() + 20_000;
      while (acknowledged < 5 + round * 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(acknowledged).toBeGreaterThanOrEqual(5 + round * 3);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 30)));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const store = await openStore(dir);
      for (let i = 0; i < 8; i++) {
        const saved = await store.load('node-0', `s${i}`);
        expect(saved?.version).toBeGreaterThanOrEqual(acknowledged);
        expect((saved?.snapshot as { version: number }).version).toBe(saved?.version);
      }
    }
  });
});
