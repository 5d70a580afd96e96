// The operator survives a kube-apiserver restart: this file runs its own etcd and
// kube-apiserver (the shared control plane cannot be restarted under other tests),
// restarts the apiserver on the same port, and checks the same operator process goes
// on reconciling, both new clusters and changes to old ones.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../operator/controller/kube-client.ts';
import { createCertificateAuthority, createSigningKeyPair, issueCertificate } from '../../infra/certificates.ts';
import { startEtcd, type EtcdServer } from '../../infra/etcd.ts';
import { freePort } from '../../infra/free-port.ts';
import { kubeApiServerArgs, waitForHealthEndpoint } from '../../infra/kube-apiserver.ts';
import { writeKubeconfig } from '../../infra/kubeconfig.ts';
import { startManagedProcess, type ManagedProcess } from '../../infra/managed-process.ts';
import { serverBinary } from '../../infra/server-binaries.ts';
import { adminClient, createOrsCluster, installCrd, operatorKubeconfig, orsClusterPath, startOperator, waitFor, type OperatorProcess } from './operator-harness.ts';

let dir: string;
let etcd: EtcdServer;
let apiServer: ManagedProcess | undefined;
let startApiServer: () => Promise<ManagedProcess>;
let admin: KubeClient;
let operator: OperatorProcess;
const namespace = 'restart';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ors-apiserver-restart-'));
  const ca = await createCertificateAuthority(dir, 'ca');
  const [serving, adminCert, serviceAccount] = await Promise.all([
    issueCertificate(dir, 'kube-apiserver', ca, { commonName: 'kube-apiserver', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '10.96.0.1'] }),
    issueCertificate(dir, 'admin', ca, { commonName: 'ors-test-admin', organizations: ['system:masters'], usage: 'client' }),
    createSigningKeyPair(dir, 'service-account'),
  ]);
  etcd = await startEtcd(dir);
  const port = await freePort();
  const args = kubeApiServerArgs({
    etcdUrl: etcd.clientUrl, securePort: port, certDir: dir, clientCa: ca.cert, serving, serviceAccount,
    serviceAccountIssuer: 'https://kubernetes.default.svc.cluster.local',
  });
  const server = `https://127.0.0.1:${port}`;
  startApiServer = async () => {
    const process = startManagedProcess('kube-apiserver', serverBinary('kube-apiserver'), args, { logFile: path.join(dir, 'kube-apiserver.log') });
    await waitForHealthEndpoint(`${server}/readyz`, { ca: ca.cert, cert: adminCert.cert, key: adminCert.key }, { what: 'kube-apiserver', timeoutMs: 90_000, process });
    return process;
  };
  apiServer = await startApiServer();
  const kubeconfig = await writeKubeconfig(path.join(dir, 'admin.kubeconfig'), {
    name: 'restart', server, certificateAuthority: ca.cert, credentials: { clientCertificate: adminCert.cert, clientKey: adminCert.key },
  });
  admin = adminClient(kubeconfig);
  await installCrd(admin);
  await admin.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
  // Namespaced ServiceAccounts need the "default" one's controller only for Pods; tokens work without it.
  const operatorConfig = await operatorKubeconfig(admin, { server, caFile: ca.cert }, namespace);
  operator = await startOperator({ kubeconfig: operatorConfig, namespace, identity: 'op-restart' });
}, 180_000);

afterAll(async () => {
  await operator?.stop('SIGKILL');
  await apiServer?.stop();
  await etcd?.stop();
  if (dir) await rm(path.join(dir, 'etcd-data'), { recursive: true, force: true });
});

const statefulSet = (name: string) => admin.find(`/apis/apps/v1/namespaces/${namespace}/statefulsets/${name}`);

describe('operator across a kube-apiserver restart', () => {
  it('keeps reconciling after the apiserver comes back', async () => {
    await createOrsCluster(admin, namespace, 'before', { image: 'ors:1' });
    await waitFor('before-node-0', () => statefulSet('before-node-0'), 30_000);

    await apiServer!.stop();
    await new Promise((r) => setTimeout(r, 3_000)); // down for a while: watches and renewals fail
    apiServer = await startApiServer();

    await createOrsCluster(admin, namespace, 'after', { image: 'ors:1' });
    await waitFor('after-node-0 (new cluster after restart)', () => statefulSet('after-node-0'), 60_000);
    await admin.mergePatch(orsClusterPath(namespace, 'before'), { spec: { nodes: 2 } }, 'test');
    await waitFor('before-node-1 (change after restart)', () => statefulSet('before-node-1'), 60_000);
    expect(operator.child.exitCode).toBeNull();
    expect((await operator.health()).body).toMatchObject({ leader: true });
  });
});
