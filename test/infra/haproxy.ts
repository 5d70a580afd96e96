import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { allAcceptConnections, freePort, retryOnPortClash } from './free-port.ts';
import { haproxyConfig, parseShowStat } from './haproxy-config.ts';
import type { HaproxyServerState } from './haproxy-config.ts';
import { startManagedProcess } from './managed-process.ts';
import { LOOPBACK, type Placement } from './pod-network/placement.ts';
import type { ManagedProcess } from './managed-process.ts';
import { serverBinary } from './server-binaries.ts';
import { waitUntil } from './wait-until.ts';

/** Frontend and backend sections, given the free ports allocated under the names asked for. */
export type HaproxySections = (ports: Record<string, number>) => string;

export interface Haproxy {
  dir: string;
  configFile: string;
  /** The address its frontends bind (the sections must bind it). */
  address: string;
  /** The free ports allocated for this instance, by the names passed to startHaproxy. */
  ports: Record<string, number>;
  process: ManagedProcess;
  /** A command on the runtime API (e.g. `set server be/s1 state maint`); returns its answer. */
  runtimeCommand(command: string): Promise<string>;
  serverStates(): Promise<HaproxyServerState[]>;
  /** Writes new sections (same ports) and reloads without dropping the listeners. */
  reload(sections: HaproxySections): Promise<void>;
  stop(): Promise<void>;
}

function socketCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const connection = net.createConnection(socket, () => connection.end(`${command}\n`));
    connection.setEncoding('utf8');
    connection.on('data', (chunk: string) => (answer += chunk));
    connection.on('end', () => resolve(answer));
    connection.on('error', reject);
  });
}

/**
 * Starts haproxy (the Debian package `make servers` installs) in master-worker mode on
 * free loopback ports: `portNames` are allocated and handed to `sections`, which
 * returns the frontends and backends. Resolves once every port accepts connections.
 */
export function startHaproxy(portNames: readonly string[], sections: HaproxySections, placement: Placement = LOOPBACK): Promise<Haproxy> {
  return retryOnPortClash(() => startHaproxyOnce(portNames, sections, placement));
}

async function startHaproxyOnce(portNames: readonly string[], sections: HaproxySections, placement: Placement): Promise<Haproxy> {
  const binary = serverBinary('haproxy');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-haproxy-'));
  const configFile = path.join(dir, 'haproxy.cfg');
  const adminSocket = path.join(dir, 'admin.sock');
  const ports: Record<string, number> = {};
  for (const name of portNames) ports[name] = await freePort();
  const writeConfig = (render: HaproxySections) =>
    writeFile(configFile, haproxyConfig({ adminSocket, sections: render(ports) }));
  await writeConfig(sections);

  const [command, ...args] = placement.command([binary, '-W', '-db', '-f', configFile]);
  const process = startManagedProcess('haproxy', command, args, {
    logFile: path.join(dir, 'haproxy.log'),
  });
  const runtimeCommand = (command: string) => socketCommand(adminSocket, command);
  const workerPid = async () => {
    const info = await runtimeCommand('show info');
    return info.match(/^Pid: (\d+)$/m)?.[1];
  };
  const abortIf = () => process.exitedError();
  try {
    await waitUntil(() => allAcceptConnections(Object.values(ports), placement.address), {
      what: `haproxy listening on ${Object.values(ports).join(', ')}`,
      timeoutMs: 15_000,
      abortIf,
    });
    await waitUntil(workerPid, { what: 'the haproxy runtime API', timeoutMs: 15_000, abortIf });
  } catch (error) {
    await process.stop();
    throw error;
  }

  return {
    dir,
    configFile,
    address: placement.address,
    ports,
    process,
    runtimeCommand,
    serverStates: async () => parseShowStat(await runtimeCommand('show stat')),
    async reload(render) {
      const before = await workerPid();
      await writeConfig(render);
      // The master re-reads the config on SIGUSR2 and starts a new worker.
      process.signal('SIGUSR2');
      await waitUntil(
        async () => {
          const pid = await workerPid();
          return pid !== undefined && pid !== before ? pid : undefined;
        },
        { what: 'a new haproxy worker after reload', timeoutMs: 15_000, abortIf },
      );
    },
    stop: () => process.stop(),
  };
}
