// Real `ors sim` and `ors runtime` processes for end-to-end tests: spawned through the
// CLI, on free ports, stopped (or killed) by the test.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LOOPBACK, type Placement } from '../infra/pod-network/placement.ts';

const root = path.resolve(import.meta.dirname, '../..');

export interface OrsProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first stdout line matching. */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnOrs(
  args: string[],
  /** `placement`: where it runs (e.g. the pod network's world: nsenter), the host by default. */
  options: { env?: Record<string, string>; stdin?: boolean; placement?: Placement } = {},
): OrsProcess {
  const [command, ...argv] = (options.placement ?? LOOPBACK).command([process.execPath, 'runtime/cli/ors.ts', ...args]);
  const child = spawn(command, argv, {
    cwd: root,
    env: { ...process.env, ...(options.env ?? {}) },
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = out.match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => `${out}\n--- stderr ---\n${err}`,
    line: (pattern, timeoutMs = 20_000) => {
      const m = out.match(pattern);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${out}\n${err}`)), timeoutMs);
        waiters.push({ pattern, resolve: (mm) => (clearTimeout(t), resolve(mm)) });
      });
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/** Where a spawned `ors sim` listens: its telephony WebSocket and its control API. */
export async function simAddresses(sim: OrsProcess, timeoutMs?: number): Promise<{ telephonyUrl: string; controlUrl: string }> {
  const m = await sim.line(/listening on (ws:\/\/\S+) \(control API (http:\/\/\S+)\)/, timeoutMs);
  return { telephonyUrl: m[1]!, controlUrl: m[2]! };
}

/** A request to an `ors sim` control API; the answer's status and JSON body. */
export async function simRequest<T = unknown>(controlUrl: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${controlUrl}${p}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  return { status: res.status, body: (await res.json()) as T };
}

/** The last `lines` lines (those `keep` takes) of each runtime log an `ors local` cluster wrote under its data dir, for a failure report. */
export function localRuntimeLogTails(dataDir: string, lines: number, keep: (line: string) => boolean = () => true): string {
  const logs = path.join(dataDir, 'logs');
  return readdirSync(logs)
    .filter((f) => f.startsWith('node-'))
    .map((f) => `== ${f}\n${readFileSync(path.join(logs, f), 'utf8').split('\n').filter(keep).slice(-lines).join('\n')}`)
    .join('\n');
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function writeRole(file: string, role: 'primary' | 'backup', epoch: number): void {
  writeFileSync(file, JSON.stringify({ role, epoch }));
}

/** Options as `ors` command-line flags: `{ 'http-port': 0 }` -> `['--http-port', '0']`. */
export function cliFlags(flags: Record<string, string | number | boolean>): string[] {
  return Object.entries(flags).flatMap(([name, value]) => [`--${name}`, String(value)]);
}
