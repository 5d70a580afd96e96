// Invalid OrsClusters are rejected by the apiserver itself (CRD schema and CEL rules
// from operator/api), with their messages; valid ones get every default.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient } from '../../../operator/controller/kube-client.ts';
import { createTestNamespace } from '../../infra/test-namespace.ts';
import { kubectlOrThrow } from '../../infra/kubectl.ts';
import { adminClient, createOrsCluster, installCrd, orsClusterPath, rejection } from './operator-harness.ts';

let admin: KubeClient;
let namespace: string;
let removeNamespace: () => Promise<void>;
let kubeconfig: string;

beforeAll(async () => {
  const plane = inject('controlPlane');
  kubeconfig = plane.kubeconfig;
  admin = adminClient(plane.kubeconfig);
  await installCrd(admin);
  const config = new KubeConfig();
  config.loadFromFile(plane.kubeconfig);
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(config, 'ors-val'));
});

afterAll(async () => {
  await removeNamespace?.();
});

describe('OrsCluster validation by the apiserver', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['missing image', { nodes: 1 }, /spec\.image: Required value/],
    ['negative nodes', { image: 'i', nodes: -1 }, /spec\.nodes: Invalid value: -1: spec\.nodes in body should be greater than or equal to 0/],
    ['same HTTP and sync port', { image: 'i', httpPort: 7000 }, /httpPort and syncPort must differ/],
    ['renew deadline not below lease duration', { image: 'i', leaderElection: { leaseDurationSeconds: 5, renewDeadlineSeconds: 5 } }, /leaderElection\.renewDeadlineSeconds must be less than leaseDurationSeconds/],
    ['cassandra without settings', { image: 'i', persistence: { type: 'cassandra' } }, /persistence\.cassandra must be set when persistence\.type is cassandra, and only then/],
    ['ingress without host', { image: 'i', routing: { ingress: { enabled: true } } }, /routing\.host is required when an Ingress or a Gateway route is enabled/],
    ['gateway without parents', { image: 'i', routing: { host: 'a.example', gateway: { enabled: true } } }, /routing\.gateway\.parentRefs needs at least one Gateway/],
    ['strategy with both sources', { image: 'i', strategies: [{ name: 's.scxml', scxml: '<scxml/>', configMap: { name: 'c', key: 'k' } }] }, /a strategy needs exactly one of configMap or scxml/],
    ['session restart below 10 ms', { image: 'i', options: { sessionRestartTimeout: 5 } }, /spec\.options\.sessionRestartTimeout: Invalid value: 5/],
    ['a 2xx heartbeat status for backups', { image: 'i', options: { heartbeatBackupStatus: 200 } }, /heartbeatBackupStatus/],
    ['an unknown pull policy', { image: 'i', imagePullPolicy: 'Sometimes' }, /spec\.imagePullPolicy: Unsupported value: "Sometimes"/],
    ['a telephony server that is not a WebSocket URL', { image: 'i', telephony: { url: 'http://sim:7070' } }, /spec\.telephony\.url in body should match/],
  ];

  for (const [what, spec, message] of cases) {
    it(`rejects ${what}`, async () => {
      expect(await rejection(admin, namespace, `bad-${cases.findIndex((c) => c[0] === what)}`, spec)).toMatch(message);
    });
  }

  it('rejects a name too long for its StatefulSets and pods', async () => {
    expect(await rejection(admin, namespace, 'a'.repeat(41), { image: 'i' })).toMatch(/the OrsCluster name must be at most 40 characters/);
  });

  it('accepts a minimal spec and fills in every default', async () => {
    const created = (await createOrsCluster(admin, namespace, 'minimal', { image: 'ors:1' })) as unknown as { spec: Record<string, unknown> };
    expect(created.spec).toEqual({
      image: 'ors:1', nodes: 1, imagePullPolicy: 'IfNotPresent', httpPort: 8080, syncPort: 7000, strategies: [], options: {},
      persistence: { type: 'none' },
      routing: { scheme: 'http', ingress: { enabled: false }, gateway: { enabled: false, parentRefs: [] } },
      leaderElection: { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 },
      scaleDown: { drainTimeoutSeconds: 300 },
      rollout: { syncTimeoutSeconds: 600 },
    });
  });

  it('scales through the scale subresource (kubectl scale) and shows printer columns', async () => {
    await kubectlOrThrow(kubeconfig, ['-n', namespace, 'scale', 'orsc/minimal', '--replicas=3']);
    const cluster = await admin.get<{ spec: { nodes: number } }>(orsClusterPath(namespace, 'minimal'));
    expect(cluster.spec.nodes).toBe(3);
    const table = await kubectlOrThrow(kubeconfig, ['-n', namespace, 'get', 'orsc']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+NODES\s+READY\s+PHASE\s+AGE/);
    expect(table).toMatch(/minimal\s+3\s/);
  });

  it('explains every field (kubectl explain)', async () => {
    const nodes = await kubectlOrThrow(kubeconfig, ['explain', 'orsclusters.spec.nodes']);
    expect(nodes).toContain('each node is a primary/backup pair of pods');
    const option = await kubectlOrThrow(kubeconfig, ['explain', 'orsclusters.spec.options.callWatchingTimeout']);
    expect(option).toContain('ORS call-watching-timeout');
    const status = await kubectlOrThrow(kubeconfig, ['explain', 'orsclusters.status.nodes.synced']);
    expect(status).toContain('Whether the backup reports itself synced with the primary');
  });
});
