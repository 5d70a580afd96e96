// Kept log directories are bounded: a new one removes the oldest of its kind beyond the
// newest `keep`, never one changed in the last hour (a suite running now), never another kind.
import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keptLogDirectory } from '../../infra/kept-log-directory.ts';

let parent: string | undefined;
afterEach(async () => {
  if (parent) await rm(parent, { recursive: true, force: true });
});

async function directory(name: string, ageMs: number): Promise<void> {
  const dir = path.join(parent!, name);
  await mkdir(dir);
  const at = new Date(Date.now() - ageMs);
  await utimes(dir, at, at);
}

describe('keptLogDirectory', () => {
  it('removes the oldest beyond the newest `keep`, never one changed in the last hour nor another kind', async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'kept-logs-test-'));
    const hour = 60 * 60 * 1000;
    for (let i = 0; i < 5; i++) await directory(`ors-e2e-old${i}`, (10 + i) * hour);
    for (let i = 1; i <= 3; i++) await directory(`ors-e2e-recent${i}`, i * 5 * 60 * 1000);
    await directory('other-kind', 100 * hour);
    const made = path.basename(keptLogDirectory(parent, 'ors-e2e-', 2));
    // keep 2: the new one and the newest other (recent1); recent2 and recent3 rank beyond
    // that but are in use; every old one goes.
    expect((await readdir(parent)).sort()).toEqual([made, 'ors-e2e-recent1', 'ors-e2e-recent2', 'ors-e2e-recent3', 'other-kind'].sort());
    // Once nothing else is in use, a second call keeps exactly two of the kind.
    for (let i = 1; i <= 3; i++) await utimes(path.join(parent, `ors-e2e-recent${i}`), new Date(Date.now() - 2 * i * hour), new Date(Date.now() - 2 * i * hour));
    await utimes(path.join(parent, made), new Date(Date.now() - hour - 1000), new Date(Date.now() - hour - 1000));
    const second = path.basename(keptLogDirectory(parent, 'ors-e2e-', 2));
    expect((await readdir(parent)).sort()).toEqual([second, made, 'other-kind'].sort());
  });
});
