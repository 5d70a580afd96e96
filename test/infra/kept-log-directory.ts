// A directory whose logs outlive the test run that made it (so a failure can be read
// afterwards), and a bound on how many such directories pile up: each new one removes
// the oldest of its kind beyond the newest `keep`. Directories changed in the last hour
// are never removed, whatever their rank: another suite running now may be writing there.
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

const IN_USE_MS = 60 * 60 * 1000;

export async function keptLogDirectory(parent: string, prefix: string, keep = 10): Promise<string> {
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(path.join(parent, prefix));
  await pruneKeptLogDirectories(parent, prefix, keep, path.basename(dir));
  return dir;
}

/** Removes the oldest `<parent>/<prefix>*` directories beyond the newest `keep` (and never `except`). */
export async function pruneKeptLogDirectories(parent: string, prefix: string, keep: number, except?: string): Promise<string[]> {
  const names = (await readdir(parent)).filter((name) => name.startsWith(prefix) && name !== except);
  const dated: { name: string; changed: number }[] = [];
  for (const name of names) {
    const info = await stat(path.join(parent, name)).catch(() => undefined);
    if (info?.isDirectory()) dated.push({ name, changed: info.mtimeMs });
  }
  dated.sort((a, b) => b.changed - a.changed);
  const now = Date.now();
  const removed: string[] = [];
  // The new directory counts as one of the kept.
  for (const { name, changed } of dated.slice(Math.max(0, keep - 1))) {
    if (now - changed < IN_USE_MS) continue;
    await rm(path.join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
