// A directory whose logs outlive the test run that made it (so a failure can be read
// afterwards), and a bound on how many such directories pile up: each new one removes
// the oldest of its kind beyond the newest `keep`. Directories changed in the last hour
// are never removed, whatever their rank: another suite running now may be writing there.
// Synchronous: some servers make their directory in a constructor; it is a few stat calls.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const IN_USE_MS = 60 * 60 * 1000;

export function keptLogDirectory(parent: string, prefix: string, keep = 10): string {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(path.join(parent, prefix));
  pruneKeptLogDirectories(parent, prefix, keep, path.basename(dir));
  return dir;
}

/** Removes the oldest `<parent>/<prefix>*` directories beyond the newest `keep` (and never `except`). */
export function pruneKeptLogDirectories(parent: string, prefix: string, keep: number, except?: string): string[] {
  const dated: { name: string; changed: number }[] = [];
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix) || name === except) continue;
    try {
      const info = statSync(path.join(parent, name));
      if (info.isDirectory()) dated.push({ name, changed: info.mtimeMs });
    } catch {
      // Gone meanwhile (another run pruning).
    }
  }
  dated.sort((a, b) => b.changed - a.changed);
  const now = Date.now();
  const removed: string[] = [];
  // The new directory counts as one of the kept.
  for (const { name, changed } of dated.slice(Math.max(0, keep - 1))) {
    if (now - changed < IN_USE_MS) continue;
    rmSync(path.join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
