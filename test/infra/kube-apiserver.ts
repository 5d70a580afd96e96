import path from 'node:path';
import { freePort, retryOnPortClash } from './free-port.ts';
import { httpsGet } from './https-get.ts';
import type { TlsFiles } from './https-get.ts';
import { startManagedProcess } from './managed-process.ts';
import type { ManagedProcess } from './managed-process.ts';
import { LOOPBACK, type Placement } from './pod-network/placement.ts';
import { serverBinary } from './server-binaries.ts';
import { waitUntil } from './wait-until.ts';

export interface KubeApiServerOptions {
  etcdUrl: string;
  securePort: number;
  certDir: string;
  /** CA that signs client certificates (and the serving certificate). */
  clientCa: string;
  serving: { cert: string; key: string };
  serviceAccount: { publicKey: string; privateKey: string };
  serviceAccountIssuer: string;
  /** The address it binds and advertises; 127.0.0.1 by default. */
  address?: string;
}

/**
 * kube-apiserver's command line for a test control plane: loopback only, RBAC (and the
 * Node authorizer, as a real cluster has), client-certificate authentication,
 * service-account tokens signed with our key. There are no nodes, so the `kubernetes`
 * Service endpoint reconciler is off (its 127.0.0.1 endpoint would be rejected).
 */
export function kubeApiServerArgs(options: KubeApiServerOptions): string[] {
  return [
    `--etcd-servers=${options.etcdUrl}`,
    `--bind-address=${options.address ?? '127.0.0.1'}`,
    `--advertise-address=${options.address ?? '127.0.0.1'}`,
    `--secure-port=${options.securePort}`,
    `--cert-dir=${options.certDir}`,
    `--tls-cert-file=${options.serving.cert}`,
    `--tls-private-key-file=${options.serving.key}`,
    `--client-ca-file=${options.clientCa}`,
    '--authorization-mode=Node,RBAC',
    `--service-account-issuer=${options.serviceAccountIssuer}`,
    `--service-account-key-file=${options.serviceAccount.publicKey}`,
    `--service-account-signing-key-file=${options.serviceAccount.privateKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    '--profiling=false',
    '--v=1',
  ];
}

export interface KubeApiServer {
  url: string;
  /** The running process (a new one after restart()). */
  readonly process: ManagedProcess;
  stop(): Promise<void>;
  /** Stops the server (SIGTERM) and starts it again on the same port and etcd; resolves once ready. */
  restart(): Promise<void>;
}

/**
 * Waits until GET `endpoint` answers 200. On kube-apiserver, /readyz is 200 once every
 * post-start hook is done (RBAC bootstrap roles included).
 */
export async function waitForHealthEndpoint(
  endpoint: string,
  tls: TlsFiles,
  options: { what: string; timeoutMs: number; process: ManagedProcess },
): Promise<void> {
  await waitUntil(
    async () => {
      const { status } = await httpsGet(endpoint, tls);
      return status === 200 ? true : undefined;
    },
    { what: `${options.what} at ${endpoint}`, timeoutMs: options.timeoutMs, abortIf: () => options.process.exitedError() },
  );
}

export function startKubeApiServer(
  dir: string,
  options: Omit<KubeApiServerOptions, 'securePort' | 'certDir'>,
  admin: TlsFiles,
  timeoutMs = 60_000,
  placement: Placement = LOOPBACK,
): Promise<KubeApiServer> {
  return retryOnPortClash(() => startKubeApiServerOnce(dir, options, admin, timeoutMs, placement));
}

async function startKubeApiServerOnce(
  dir: string,
  options: Omit<KubeApiServerOptions, 'securePort' | 'certDir'>,
  admin: TlsFiles,
  timeoutMs: number,
  placement: Placement,
): Promise<KubeApiServer> {
  const securePort = await freePort();
  const [command, ...args] = placement.command([
    serverBinary('kube-apiserver'),
    ...kubeApiServerArgs({ ...options, securePort, certDir: dir, address: placement.address }),
  ]);
  const process = startManagedProcess('kube-apiserver', command, args, { logFile: path.join(dir, 'kube-apiserver.log') });
  const url = `https://${placement.address}:${securePort}`;
  try {
    await waitForHealthEndpoint(`${url}/readyz`, admin, { what: 'kube-apiserver', timeoutMs, process });
  } catch (error) {
    await process.stop();
    throw error;
  }
  let current = process;
  return {
    url,
    get process() {
      return current;
    },
    stop: () => current.stop(),
    async restart() {
      await current.stop();
      current = startManagedProcess('kube-apiserver', command, args, { logFile: path.join(dir, 'kube-apiserver.log') });
      await waitForHealthEndpoint(`${url}/readyz`, admin, { what: 'kube-apiserver after a restart', timeoutMs, process: current });
    },
  };
}
