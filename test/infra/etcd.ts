import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { freePorts, retryOnPortClash } from './free-port.ts';
import { startManagedProcess } from './managed-process.ts';
import { LOOPBACK, type Placement } from './pod-network/placement.ts';
import type { ManagedProcess } from './managed-process.ts';
import { serverBinary } from './server-binaries.ts';
import { waitUntil } from './wait-until.ts';

export interface EtcdServer {
  /** The client URL, http://<address>:<port> (127.0.0.1 unless placed elsewhere). */
  clientUrl: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** etcd's command line: a one-member cluster on loopback, without fsync (test data only). */
export function etcdArgs(options: { dataDir: string; clientPort: number; peerPort: number; address?: string }): string[] {
  const address = options.address ?? '127.0.0.1';
  const client = `http://${address}:${options.clientPort}`;
  const peer = `http://${address}:${options.peerPort}`;
  return [
    '--name=test',
    `--data-dir=${options.dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=test=${peer}`,
    '--initial-cluster-state=new',
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

/** Starts etcd with its data and log under `dir`, and waits until it is healthy. */
export function startEtcd(dir: string, timeoutMs = 30_000, placement: Placement = LOOPBACK): Promise<EtcdServer> {
  return retryOnPortClash(() => startEtcdOnce(dir, timeoutMs, placement));
}

async function startEtcdOnce(dir: string, timeoutMs: number, placement: Placement): Promise<EtcdServer> {
  const binary = serverBinary('etcd');
  const dataDir = path.join(dir, 'etcd-data');
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const [clientPort, peerPort] = await freePorts(2);
  const [command, ...args] = placement.command([binary, ...etcdArgs({ dataDir, clientPort, peerPort, address: placement.address })]);
  const process = startManagedProcess('etcd', command, args, { logFile: path.join(dir, 'etcd.log') });
  const clientUrl = `http://${placement.address}:${clientPort}`;
  try {
    await waitUntil(
      async () => {
        const response = await fetch(`${clientUrl}/health`);
        const body = (await response.json()) as { health?: string };
        return body.health === 'true' ? true : undefined;
      },
      { what: `etcd at ${clientUrl}/health`, timeoutMs, abortIf: () => process.exitedError() },
    );
  } catch (error) {
    await process.stop();
    throw error;
  }
  return { clientUrl, process, stop: () => process.stop() };
}
