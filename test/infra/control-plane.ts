import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCertificateAuthority, createSigningKeyPair, issueCertificate } from './certificates.ts';
import { startEtcd } from './etcd.ts';
import type { EtcdServer } from './etcd.ts';
import { httpsGet } from './https-get.ts';
import { startKubeApiServer } from './kube-apiserver.ts';
import type { KubeApiServer } from './kube-apiserver.ts';
import { startKubeControllerManager } from './kube-controller-manager.ts';
import type { KubeControllerManager } from './kube-controller-manager.ts';
import { keptLogDirectory } from './kept-log-directory.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { readLogTail } from './managed-process.ts';
import { LOOPBACK, type Placement } from './pod-network/placement.ts';
import type { ManagedProcess } from './managed-process.ts';
import { waitUntil } from './wait-until.ts';

/**
 * A real Kubernetes control plane on loopback for tests: etcd, kube-apiserver with
 * RBAC and service-account tokens, and optionally kube-controller-manager (StatefulSets
 * get Pods, garbage collection and namespace deletion work). There are no nodes and no
 * scheduler: Pods stay Pending. Everything lives in one temporary folder, logs included.
 */
export interface ControlPlane {
  /** The temporary folder: certificates, kubeconfigs, `<server>.log`. */
  dir: string;
  /** https://<address>:<port>: 127.0.0.1, or an address of the pod network's world. */
  server: string;
  /** An admin kubeconfig (client certificate in group system:masters). */
  adminKubeconfig: string;
  /** The CA that signed the serving certificate, for clients built by hand. */
  caFile: string;
  processes: ManagedProcess[];
  /** The log tail of every server, for failure reports. */
  logReport(lines?: number): string;
  /** Restarts kube-apiserver on the same port (never on the shared control plane: other tests use it). */
  restartApiServer(): Promise<void>;
  /** Stops kube-apiserver (an outage of the control plane) until startApiServer(); same caveat as restartApiServer. */
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  controllerManager?: boolean;
  /** Parent of the temporary folder; os.tmpdir() by default. */
  parentDir?: string;
  /**
   * Where the servers run: on the host's loopback by default; given the pod network's
   * world, each server gets an address of its own there (so a pod can be cut from one).
   */
  network?: { placeInWorld(): Promise<Placement> };
}

const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

export function logReport(processes: readonly ManagedProcess[], lines = 40): string {
  return processes
    .map((p) => `----- ${p.name} (${p.logFile}) -----\n${p.logTail(lines)}`)
    .join('\n');
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dir = keptLogDirectory(options.parentDir ?? os.tmpdir(), 'ors-control-plane-');
  const place = () => options.network?.placeInWorld() ?? Promise.resolve(LOOPBACK);
  const [etcdPlace, apiPlace, managerPlace] = [await place(), await place(), await place()];
  const ca = await createCertificateAuthority(dir, 'ca');
  const [serving, admin, controllerManagerClient, serviceAccountKeys] = await Promise.all([
    issueCertificate(dir, 'kube-apiserver', ca, {
      commonName: 'kube-apiserver',
      usage: 'server',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ipAddresses: [...new Set(['127.0.0.1', '10.96.0.1', apiPlace.address])],
    }),
    issueCertificate(dir, 'admin', ca, { commonName: 'ors-test-admin', organizations: ['system:masters'], usage: 'client' }),
    issueCertificate(dir, 'kube-controller-manager-client', ca, { commonName: 'system:kube-controller-manager', usage: 'client' }),
    createSigningKeyPair(dir, 'service-account'),
  ]);

  const processes: ManagedProcess[] = [];
  let etcd: EtcdServer | undefined;
  let apiServer: KubeApiServer | undefined;
  let controllerManager: KubeControllerManager | undefined;
  const stop = async () => {
    await controllerManager?.stop();
    await apiServer?.stop();
    await etcd?.stop();
    // Logs, certificates and kubeconfigs stay for post-mortems; the etcd data goes.
    await rm(path.join(dir, 'etcd-data'), { recursive: true, force: true });
  };

  try {
    etcd = await startEtcd(dir, undefined, etcdPlace);
    processes.push(etcd.process);
    apiServer = await startKubeApiServer(
      dir,
      {
        etcdUrl: etcd.clientUrl,
        clientCa: ca.cert,
        serving,
        serviceAccount: serviceAccountKeys,
        serviceAccountIssuer,
      },
      { ca: ca.cert, cert: admin.cert, key: admin.key },
      undefined,
      apiPlace,
    );
    processes.push(apiServer.process);
    const server = apiServer.url;
    const adminKubeconfig = await writeKubeconfig(path.join(dir, 'admin.kubeconfig'), {
      name: 'ors-test',
      server,
      certificateAuthority: ca.cert,
      credentials: { clientCertificate: admin.cert, clientKey: admin.key },
    });

    if (options.controllerManager) {
      const kubeconfig = await writeKubeconfig(path.join(dir, 'kube-controller-manager.kubeconfig'), {
        name: 'kube-controller-manager',
        server,
        certificateAuthority: ca.cert,
        credentials: { clientCertificate: controllerManagerClient.cert, clientKey: controllerManagerClient.key },
      });
      controllerManager = await startKubeControllerManager(dir, {
        kubeconfig,
        rootCa: ca.cert,
        serviceAccountPrivateKey: serviceAccountKeys.privateKey,
        clusterSigning: ca,
      }, undefined, managerPlace);
      processes.push(controllerManager.process);
      // Controllers are running once the service-account controller has given the
      // default namespace its ServiceAccount (Pods cannot be created before that).
      const manager = controllerManager.process;
      await waitUntil(
        async () => {
          const { status } = await httpsGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, {
            ca: ca.cert,
            cert: admin.cert,
            key: admin.key,
          });
          return status === 200 ? true : undefined;
        },
        { what: 'the default ServiceAccount (kube-controller-manager at work)', timeoutMs: 60_000, abortIf: () => manager.exitedError() },
      );
    }

    return {
      dir,
      server,
      adminKubeconfig,
      caFile: ca.cert,
      processes,
      logReport: (lines) => logReport(processes, lines),
      async restartApiServer() {
        const index = processes.indexOf(apiServer!.process);
        await apiServer!.restart();
        processes[index] = apiServer!.process;
      },
      stopApiServer: () => apiServer!.stop(),
      async startApiServer() {
        const index = processes.indexOf(apiServer!.process);
        await apiServer!.start();
        processes[index] = apiServer!.process;
      },
      stop,
    };
  } catch (error) {
    await stop();
    const message = error instanceof Error ? error.message : String(error);
    const logs = (await readdir(dir)).filter((file) => file.endsWith('.log'));
    const tails = logs.map((log) => `----- ${log} -----\n${readLogTail(path.join(dir, log), 30)}`).join('\n');
    throw new Error(`the test control plane did not start (files in ${dir}): ${message}\n${tails}`, { cause: error });
  }
}
