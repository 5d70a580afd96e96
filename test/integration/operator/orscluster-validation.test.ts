// Invalid OrsClusters are rejected by the apiserver itself (CRD schema and CEL rules
// from operator/api), with their messages; valid ones get every default.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient } from '../../../operator/controller/kube-client.ts';
import { createTestNamespace } from '../../infra/test-namespace.ts';
import { kubectlOrThrow } from '../../infra/kubectl.ts';
import { adminClient, createOrsCluster, installCrd, orsClusterPath, rejection } from './operator-harness.ts';

interface OpenApi { type?: string; $ref?: string; allOf?: OpenApi[]; properties?: Record<string, OpenApi>; items?: OpenApi; additionalProperties?: OpenApi | boolean; format?: string }

/** The structure of a schema (field names and types, refs resolved), without descriptions or validations. */
function shape(schema: OpenApi, schemas: Record<string, OpenApi>): unknown {
  const ref = schema.$ref ?? schema.allOf?.[0]?.$ref;
  if (ref) return shape(schemas[ref.replace('#/components/schemas/', '')]!, schemas);
  if (schema.properties) return Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, shape(v, schemas)]).sort());
  if (schema.type === 'array') return [shape(schema.items!, schemas)];
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') return { '*': shape(schema.additionalProperties, schemas) };
  return schema.type;
}

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
    ['a tokens Secret with an open API', { image: 'i', apiAuth: { mode: 'none', tokensSecret: 'tokens' } }, /apiAuth\.tokensSecret is only meaningful with apiAuth\.mode bearer/],
    ['an API auth mode the runtime does not have', { image: 'i', apiAuth: { mode: 'basic' } }, /spec\.apiAuth\.mode: Unsupported value: "basic"/],
    ['an unknown pull policy', { image: 'i', imagePullPolicy: 'Sometimes' }, /spec\.imagePullPolicy: Unsupported value: "Sometimes"/],
    ['a telephony server that is not a WebSocket URL', { image: 'i', telephony: { url: 'http://sim:7070' } }, /spec\.telephony\.url in body should match/],
    ['a CPU request that is not a quantity', { image: 'i', resources: { requests: { cpu: 'lots' } } }, /spec\.resources\.requests\.cpu in body should match/],
    ['a negative memory limit', { image: 'i', resources: { limits: { memory: '-1Gi' } } }, /spec\.resources\.limits\.memory in body should match/],
    ['an affinity that is not an object', { image: 'i', affinity: { nodeAffinity: 'anywhere' } }, /spec\.affinity\.nodeAffinity: Invalid value: "string": spec\.affinity\.nodeAffinity in body must be of type object/],
    ['a node selector operator Kubernetes does not have', {
      image: 'i',
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'Near', values: ['a'] }] }] } } },
    }, /matchExpressions\[0\]\.operator: Unsupported value: "Near"/],
    ['a pod anti-affinity term without topologyKey', {
      image: 'i',
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { a: 'b' } } }] } },
    }, /requiredDuringSchedulingIgnoredDuringExecution\[0\]\.topologyKey: Required value/],
    ['an In requirement without values', {
      image: 'i',
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }] } } },
    }, /values must be non-empty for In, NotIn, Gt and Lt/],
    ['a toleration with Exists and a value', { image: 'i', tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }, /a toleration with operator Exists must not have a value/],
    ['tolerationSeconds without NoExecute', { image: 'i', tolerations: [{ key: 'k', operator: 'Exists', tolerationSeconds: 5 }] }, /tolerationSeconds needs effect NoExecute/],
    ['a priority class name with capitals', { image: 'i', priorityClassName: 'High' }, /spec\.priorityClassName in body should match/],
  ];

  for (const [what, spec, message] of cases) {
    it(`rejects ${what}`, async () => {
      expect(await rejection(admin, namespace, `bad-${cases.findIndex((c) => c[0] === what)}`, spec)).toMatch(message);
    });
  }

  it('rejects a name too long for its StatefulSets and pods, and accepts the longest allowed one', async () => {
    expect(await rejection(admin, namespace, 'a'.repeat(41), { image: 'i' })).toMatch(/the OrsCluster name must be at most 40 characters/);
    expect(await rejection(admin, namespace, `l${'o'.repeat(38)}g`, { image: 'i' })).toBeUndefined();
  });

  it('rejects names whose objects would collide with another cluster\'s or be invalid Service names', async () => {
    for (const name of ['hello-node-1', 'hello-node-0-sync', 'a-node-999']) {
      expect(await rejection(admin, namespace, name, { image: 'i' }), name).toMatch(/must not end in -node-<number> or -node-<number>-sync/);
    }
    for (const name of ['hello.world', '1st']) {
      expect(await rejection(admin, namespace, name, { image: 'i' }), name).toMatch(/no dots: it names Services/);
    }
    expect(await rejection(admin, namespace, 'hello-node-x', { image: 'i' })).toBeUndefined();
  });

  it('accepts real quantities, affinity and tolerations', async () => {
    expect(await rejection(admin, namespace, 'scheduled', {
      image: 'i',
      resources: { requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': 1 }, limits: { cpu: 2, memory: '1.5Gi' } },
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'cpu', operator: 'Gt', values: ['3'] }] }] } },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } } }] },
      },
      tolerations: [{ operator: 'Exists' }, { key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 30 }],
    })).toBeUndefined();
  });

  it('types affinity and tolerations exactly as the apiserver\'s core/v1 schemas do', async () => {
    const core = await admin.get<{ components: { schemas: Record<string, OpenApi> } }>('/openapi/v3/api/v1');
    const crd = await admin.get<{ spec: { versions: { schema: { openAPIV3Schema: OpenApi } }[] } }>('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/orsclusters.ors.dev');
    const spec = crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
    expect(shape(spec.properties!.affinity!, core.components.schemas)).toEqual(shape({ $ref: '#/components/schemas/io.k8s.api.core.v1.Affinity' }, core.components.schemas));
    expect(shape(spec.properties!.tolerations!, core.components.schemas)).toEqual(shape({ type: 'array', items: { $ref: '#/components/schemas/io.k8s.api.core.v1.Toleration' } }, core.components.schemas));
  });

  it('accepts a minimal spec and fills in every default', async () => {
    const created = (await createOrsCluster(admin, namespace, 'minimal', { image: 'ors:1' })) as unknown as { spec: Record<string, unknown> };
    expect(created.spec).toEqual({
      image: 'ors:1', nodes: 1, imagePullPolicy: 'IfNotPresent', httpPort: 8080, syncPort: 7000, strategies: [], options: {},
      persistence: { type: 'none' },
      routing: { scheme: 'http', ingress: { enabled: false }, gateway: { enabled: false, parentRefs: [] } },
      leaderElection: { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 },
      apiAuth: { mode: 'bearer', protectMetrics: false },
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
