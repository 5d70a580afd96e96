import path from 'node:path';
import { freePort, retryOnPortClash } from './free-port.ts';
import { waitForHealthEndpoint } from './kube-apiserver.ts';
import { startManagedProcess } from './managed-process.ts';
import type { ManagedProcess } from './managed-process.ts';
import { LOOPBACK, type Placement } from './pod-network/placement.ts';
import { serverBinary } from './server-binaries.ts';

export interface KubeControllerManagerOptions {
  kubeconfig: string;
  securePort: number;
  certDir: string;
  rootCa: string;
  serviceAccountPrivateKey: string;
  /** The CA that signs CertificateSigningRequests (the cluster CA). */
  clusterSigning: { cert: string; key: string };
  /** The address its secure port binds; 127.0.0.1 by default. */
  address?: string;
}

/**
 * kube-controller-manager's command line: every controller (`*`; the cloud-provider
 * ones are skipped by kube-controller-manager itself when no cloud is configured),
 * each with its own service-account credentials as in a real cluster, so RBAC applies
 * to controllers too. A single instance: no leader election to wait for.
 */
export function kubeControllerManagerArgs(options: KubeControllerManagerOptions): string[] {
  return [
    `--kubeconfig=${options.kubeconfig}`,
    `--authentication-kubeconfig=${options.kubeconfig}`,
    `--authorization-kubeconfig=${options.kubeconfig}`,
    // No front proxy here: do not keep looking for its request-header CA.
    '--authentication-skip-lookup=true',
    `--bind-address=${options.address ?? '127.0.0.1'}`,
    `--secure-port=${options.securePort}`,
    `--cert-dir=${options.certDir}`,
    '--controllers=*',
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${options.serviceAccountPrivateKey}`,
    `--root-ca-file=${options.rootCa}`,
    `--cluster-signing-cert-file=${options.clusterSigning.cert}`,
    `--cluster-signing-key-file=${options.clusterSigning.key}`,
    '--leader-elect=false',
    '--profiling=false',
    '--v=1',
  ];
}

export interface KubeControllerManager {
  process: ManagedProcess;
  stop(): Promise<void>;
}

export function startKubeControllerManager(
  dir: string,
  options: Omit<KubeControllerManagerOptions, 'securePort' | 'certDir'>,
  timeoutMs = 60_000,
  placement: Placement = LOOPBACK,
): Promise<KubeControllerManager> {
  return retryOnPortClash(() => startKubeControllerManagerOnce(dir, options, timeoutMs, placement));
}

async function startKubeControllerManagerOnce(
  dir: string,
  options: Omit<KubeControllerManagerOptions, 'securePort' | 'certDir'>,
  timeoutMs: number,
  placement: Placement,
): Promise<KubeControllerManager> {
  const securePort = await freePort();
  const certDir = path.join(dir, 'kube-controller-manager-certs');
  const [command, ...args] = placement.command([
    serverBinary('kube-controller-manager'),
    ...kubeControllerManagerArgs({ ...options, securePort, certDir, address: placement.address }),
  ]);
  const process = startManagedProcess('kube-controller-manager', command, args, {
    logFile: path.join(dir, 'kube-controller-manager.log'),
  });
  try {
    // It serves a self-signed certificate; /healthz is open to anyone (its always-allowed paths).
    await waitForHealthEndpoint(`https://${placement.address}:${securePort}/healthz`, {}, { what: 'kube-controller-manager', timeoutMs, process });
  } catch (error) {
    await process.stop();
    throw error;
  }
  return { process, stop: () => process.stop() };
}
