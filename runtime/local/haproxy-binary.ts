// Finds the haproxy binary for `ors local`, installing the Debian package when it is
// missing (so `make local` works on a fresh machine), and says plainly what it does.
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import path from 'node:path';

export function findHaproxy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, 'haproxy');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Finds haproxy or installs it, with apt's output in `aptLogFile` (one line of progress instead). */
export function ensureHaproxy(log: (line: string) => void, aptLogFile: string): string {
  const found = findHaproxy();
  if (found) return found;
  const root = process.getuid?.() === 0;
  const prefix = root ? [] : ['sudo', '-n'];
  log(`haproxy is not installed; installing the Debian package (apt-get install haproxy, log: ${aptLogFile})...`);
  const aptLog = openSync(aptLogFile, 'a');
  try {
    for (const args of [['apt-get', 'update', '-qq'], ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', 'haproxy']]) {
      const command = [...prefix, ...args];
      const result = spawnSync(command[0]!, command.slice(1), { stdio: ['ignore', aptLog, aptLog] });
      if (result.status !== 0) {
        throw new Error(`could not install haproxy (${command.join(' ')} failed, see ${aptLogFile}); install it with: sudo apt-get install haproxy`);
      }
    }
  } finally {
    closeSync(aptLog);
  }
  const installed = findHaproxy();
  if (!installed) throw new Error('haproxy was installed but is not on PATH or in /usr/sbin');
  return installed;
}
