// Where `ors local` keeps its leases, session stores and logs when --data-dir is not
// given: a new folder per run under $TMPDIR/ors-local, named by start time and pid so
// runs sort by time and never collide. It is kept on exit: the logs are what a person
// looks at after a failover went wrong.
import os from 'node:os';
import path from 'node:path';

/** `<tmp>/ors-local/<yyyymmdd-hhmmss>-<pid>` (UTC). */
export function defaultLocalDataDir(now: Date, pid: number, tmp: string = os.tmpdir()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
  return path.join(tmp, 'ors-local', `${stamp}-${pid}`);
}
