// One Cassandra per test run, started lazily by the first test file that asks for it.
// Test files run in separate worker processes, so the server is described in a file in the
// run folder (from cassandra-global-setup.ts), guarded by a lock directory; the JVM is
// detached from the worker that started it and stopped by the global teardown.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { CassandraServer, type CassandraEndpoint } from './cassandra.ts';
import { attachPodNetwork } from './pod-network/pod-network.ts';

interface SharedServerFile {
  pid: number;
  dir: string;
  logFile: string;
  endpoint: CassandraEndpoint;
}

async function withLock<T>(runDir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(runDir, 'lock');
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The run's shared Cassandra, started on first use. Never stop it from a test. */
export async function sharedCassandra(runDir: string): Promise<CassandraEndpoint> {
  const file = path.join(runDir, 'server.json');
  return withLock(runDir, async () => {
    if (existsSync(file)) {
      const shared = JSON.parse(readFileSync(file, 'utf8')) as SharedServerFile;
      if (alive(shared.pid)) return shared.endpoint;
      throw new Error(`the shared Cassandra (pid ${shared.pid}) died; its log: ${shared.logFile}`);
    }
    // The watchdog stops the JVM if the vitest process dies without its teardown.
    const ownerFile = path.join(runDir, 'owner.pid');
    const ownerPid = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : undefined;
    // In the run's pod network (its world namespace), so pods reach it as the host does.
    const network = inject('podNetwork');
    const placement = network ? await attachPodNetwork(network).placeInWorld() : undefined;
    const server = new CassandraServer({ detached: true, ...(ownerPid ? { ownerPid } : {}), ...(placement ? { placement } : {}) });
    const endpoint = await server.start();
    const shared: SharedServerFile = { pid: server.pid!, dir: server.dir, logFile: server.logFile, endpoint };
    writeFileSync(file, JSON.stringify(shared));
    return endpoint;
  });
}

export async function stopSharedCassandra(runDir: string): Promise<void> {
  const file = path.join(runDir, 'server.json');
  if (!existsSync(file)) return;
  const shared = JSON.parse(readFileSync(file, 'utf8')) as SharedServerFile;
  if (alive(shared.pid)) {
    process.kill(shared.pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (alive(shared.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (alive(shared.pid)) process.kill(shared.pid, 'SIGKILL');
  }
  console.log(`shared Cassandra stopped; its folder and log are kept in ${shared.dir}`);
}
