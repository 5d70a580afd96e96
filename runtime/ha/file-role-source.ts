// The role read from a local JSON file ({"role": "primary"|"backup", "epoch": n,
// "primaryUrl": "..."}), re-read when it changes: lets a script or a test switch a
// process between primary and backup without a restart. The HA issue replaces it with
// a Lease. A file that is missing or invalid keeps the last good state (a process
// starting without one is a backup: it never claims to be primary by accident).
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RoleStateSchema, type RoleSource, type RoleState } from './role-source.ts';

export class FileRoleSource implements RoleSource {
  readonly #file: string;
  readonly #pollMs: number;
  readonly #onInvalid: (message: string) => void;
  #state: RoleState = { role: 'backup', epoch: 0 };
  #raw = '';
  readonly #listeners = new Set<(state: RoleState) => void>();
  #watcher?: FSWatcher;
  #poll?: NodeJS.Timeout;

  constructor(file: string, options: { pollMs?: number; onInvalid?: (message: string) => void } = {}) {
    this.#file = path.resolve(file);
    this.#pollMs = options.pollMs ?? 500;
    this.#onInvalid = options.onInvalid ?? (() => {});
  }

  current(): RoleState {
    return this.#state;
  }

  subscribe(listener: (state: RoleState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async start(): Promise<void> {
    await this.reload();
    // fs.watch misses changes on some file systems and on atomic renames; a slow poll
    // backs it up.
    try {
      this.#watcher = watch(path.dirname(this.#file), (_event, name) => {
        if (name === path.basename(this.#file)) void this.reload();
      });
      this.#watcher.on('error', () => {});
    } catch {
      // The directory may not exist yet; polling covers it.
    }
    this.#poll = setInterval(() => void this.reload(), this.#pollMs);
    this.#poll.unref();
  }

  async stop(): Promise<void> {
    this.#watcher?.close();
    if (this.#poll) clearInterval(this.#poll);
  }

  /** Reads the file now; exposed so callers need not wait for the watcher. */
  async reload(): Promise<void> {
    let raw: string;
    try {
      raw = await readFile(this.#file, 'utf8');
    } catch {
      return;
    }
    if (raw === this.#raw) return;
    this.#raw = raw;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      this.#onInvalid(`role file ${this.#file}: not JSON: ${(error as Error).message}`);
      return;
    }
    const result = RoleStateSchema.safeParse(parsed);
    if (!result.success) {
      this.#onInvalid(`role file ${this.#file}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return;
    }
    const next = result.data;
    const prev = this.#state;
    this.#state = next;
    if (JSON.stringify(prev) !== JSON.stringify(next)) {
      for (const listener of this.#listeners) listener(next);
    }
  }
}
