import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/**
 * A server process started by a test helper: its output goes to a log file (kept for
 * post-mortems), an unexpected exit is recorded so waits fail fast with the log tail,
 * and it is killed when the test process exits, even on a crash.
 */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Set once the process has exited. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** An Error naming the process and quoting its log when it has exited, else undefined. */
  exitedError(): Error | undefined;
  logTail(lines?: number): string;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export function readLogTail(logFile: string, lines = 40): string {
  try {
    const text = readFileSync(logFile, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function startManagedProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): ManagedProcess {
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  killAllOnExit();
  running.add(child);

  let exit: ManagedProcess['exit'];
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      running.delete(child);
      resolve();
    });
    child.on('error', (error) => {
      exit = { code: null, signal: null };
      running.delete(child);
      process.stderr.write(`${name}: ${error.message}\n`);
      resolve();
    });
  });

  const handle: ManagedProcess = {
    name,
    pid: child.pid,
    logFile: options.logFile,
    get exit() {
      return exit;
    },
    exitedError() {
      if (!exit) return undefined;
      const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
      return new Error(`${name} exited (${how}); log ${options.logFile}:\n${readLogTail(options.logFile)}`);
    },
    logTail: (lines) => readLogTail(options.logFile, lines),
    signal(signal) {
      if (!exit) child.kill(signal);
    },
    async stop(graceMs = 10_000) {
      if (exit) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return handle;
}
