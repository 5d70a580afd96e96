// The operator's defences, on the real control plane under the chart's ClusterRole: it
// never writes or deletes an object it does not own (and says so), a deleted child of
// any kind is restored at once (the sync key with its old value), a new cluster comes up
// without a single Warning, invalid strategies and missing PriorityClasses are reported
// before any pod needs them, a waiting switchover shows why, repeated Events are one
// series, and /readyz tells whether the API server accepts the replica's requests.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import type { Condition, OrsClusterStatus } from '../../../operator/api/ors-cluster.ts';
import { pathOf } from '../../../operator/controller/resource-paths.ts';
import type { KubeClient } from '../../../operator/controller/kube-client.ts';
import { createTestNamespace } from '../../infra/test-namespace.ts';
import { writeKubeconfig } from '../../infra/kubeconfig.ts';
import {
  adminClient, createOrsCluster, installCrd, operatorKubeconfig, orsClusterPath, setSyncState, startOperator, waitFor, type OperatorProcess,
} from './operator-harness.ts';
import { PodPlayer } from './pod-player.ts';

let admin: KubeClient;
let namespace: string;
let removeNamespace: () => Promise<void>;
let operator: OperatorProcess;
let plane: { server: string; caFile: string; kubeconfig: string };
const players: PodPlayer[] = [];
const extraOperators: OperatorProcess[] = [];

type Cluster = KubernetesObject & { spec: Record<string, unknown>; status?: OrsClusterStatus };
const getCluster = (name: string) => admin.get<Cluster>(orsClusterPath(namespace, name));
const condition = async (name: string, type: string): Promise<Condition | undefined> => (await getCluster(name)).status?.conditions?.find((c) => c.type === type);
const VALID_SCXML = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" initial="a"><state id="a"/></scxml>';
// Line 3, column 5: a transition to a state that does not exist.
const INVALID_SCXML = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" initial="a">\n  <state id="a">\n    <transition event="go" target="nowhere"/>\n  </state>\n</scxml>';

interface EventV1 { metadata: { name: string }; reason: string; type: string; note?: string; regarding: { name: string; uid: string }; series?: { count: number } }
const eventsOf = async (name: string) =>
  (await admin.get<{ items: EventV1[] }>(`/apis/events.k8s.io/v1/namespaces/${namespace}/events`)).items.filter((e) => e.regarding.name === name);

beforeAll(async () => {
  plane = inject('controlPlane');
  admin = adminClient(plane.kubeconfig);
  await installCrd(admin);
  const config = new KubeConfig();
  config.loadFromFile(plane.kubeconfig);
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(config, 'ors-hard'));
  const kubeconfig = await operatorKubeconfig(admin, plane, namespace);
  operator = await startOperator({ kubeconfig, namespace, identity: 'hardened' });
});

afterEach(({ task }) => {
  if (task.result?.state === 'fail') console.error(`operator log tail:\n${operator?.logs.slice(-40).join('\n')}`);
});

afterAll(async () => {
  for (const p of players) await p.stop();
  for (const o of extraOperators) await o.stop();
  await operator?.stop();
  await removeNamespace?.();
});

describe('ownership', () => {
  it('leaves objects it does not own alone, says so in a condition, and never deletes them', async () => {
    const userService = await admin.request<KubernetesObject>('POST', `/api/v1/namespaces/${namespace}/services`, {
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'clash' }, spec: { ports: [{ port: 80 }], selector: { app: 'mine' } } },
    });
    const userConfigMap = await admin.request<KubernetesObject>('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'clash-options' }, data: { mine: 'yes' } },
    });
    await createOrsCluster(admin, namespace, 'clash', { image: 'ors:1', nodes: 1 });
    const degraded = await waitFor('Degraded OwnershipConflict', async () => {
      const c = await condition('clash', 'Degraded');
      return c?.status === 'True' && c.reason === 'OwnershipConflict' ? c : undefined;
    });
    expect(degraded.message).toContain('Service clash already exists and has no controller (created by someone else); the operator leaves it alone');
    expect(degraded.message).toContain('ConfigMap clash-options already exists');
    // The StatefulSet needs the options ConfigMap: it waits rather than run pods without their options.
    expect(await admin.find(pathOf('apps/v1', 'StatefulSet', namespace, 'clash-node-0'))).toBeUndefined();
    // Objects that are free are created.
    await waitFor('the node Service', () => admin.find(pathOf('v1', 'Service', namespace, 'clash-node-0')));
    const service = await admin.get<KubernetesObject & { spec: { selector: Record<string, string> } }>(pathOf('v1', 'Service', namespace, 'clash'));
    expect(service.metadata!.resourceVersion).toBe(userService.metadata!.resourceVersion);
    expect(service.spec.selector).toEqual({ app: 'mine' });
    const cm = await admin.get<KubernetesObject>(pathOf('v1', 'ConfigMap', namespace, 'clash-options'));
    expect(cm.metadata!.resourceVersion).toBe(userConfigMap.metadata!.resourceVersion);
    // Deleting the cluster leaves the user's objects in place.
    await admin.delete(orsClusterPath(namespace, 'clash'));
    await waitFor('clash gone', async () => ((await admin.find(orsClusterPath(namespace, 'clash'))) ? undefined : true));
    await waitFor('its own node Service garbage-collected', async () => ((await admin.find(pathOf('v1', 'Service', namespace, 'clash-node-0'))) ? undefined : true));
    expect(await admin.find(pathOf('v1', 'Service', namespace, 'clash'))).toBeDefined();
    expect(await admin.find(pathOf('v1', 'ConfigMap', namespace, 'clash-options'))).toBeDefined();
  });

  it('creates every object of a cluster with the longest allowed name and a node id of 3 digits\' room', async () => {
    const name = `l${'o'.repeat(38)}g`;
    await createOrsCluster(admin, namespace, name, { image: 'ors:1', nodes: 1 });
    const ready = await waitFor('the longest-named cluster reconciled', async () => {
      const c = await condition(name, 'Degraded');
      const sts = await admin.find(pathOf('apps/v1', 'StatefulSet', namespace, `${name}-node-0`));
      return c?.status === 'False' && sts ? sts : undefined;
    });
    expect(ready).toBeDefined();
    await admin.delete(orsClusterPath(namespace, name));
  });
});

describe('a new cluster', () => {
  it('comes up without a Warning event or a Degraded condition (the Role exists before its RoleBinding)', async () => {
    await createOrsCluster(admin, namespace, 'fresh', { image: 'ors:1', nodes: 2, routing: { host: 'fresh.example.test', ingress: { enabled: true } } });
    await waitFor('fresh reconciled', async () => {
      const s = (await getCluster('fresh')).status;
      return s?.replicas === 2 ? true : undefined;
    });
    // A further pass or two (pods appear, StatefulSet status) must not bring a warning either.
    await new Promise((r) => setTimeout(r, 3000));
    const degraded = await condition('fresh', 'Degraded');
    expect(degraded).toMatchObject({ status: 'False', reason: 'AsExpected' });
    // Never True, not even briefly: it would have changed lastTransitionTime away from creation.
    const created = Date.parse((await getCluster('fresh')).metadata!.creationTimestamp as unknown as string);
    expect(Date.parse(degraded!.lastTransitionTime) - created).toBeLessThan(10_000);
    const warnings = (await eventsOf('fresh')).filter((e) => e.type === 'Warning');
    expect(warnings.map((e) => `${e.reason}: ${e.note}`)).toEqual([]);
    expect(operator.logs.filter((l) => l.includes('"cluster":"fresh"') && l.includes('reconcile problems'))).toEqual([]);
  });
});

describe('children', () => {
  const kinds: [string, string, string][] = [
    ['Role', 'rbac.authorization.k8s.io/v1', 'kids-runtime'],
    ['RoleBinding', 'rbac.authorization.k8s.io/v1', 'kids-runtime'],
    ['ServiceAccount', 'v1', 'kids-runtime'],
    ['Secret', 'v1', 'kids-sync-key'],
    ['Secret', 'v1', 'kids-api-tokens'],
    ['Ingress', 'networking.k8s.io/v1', 'kids'],
    ['Service', 'v1', 'kids-node-0'],
    ['ConfigMap', 'v1', 'kids-options'],
    ['PodDisruptionBudget', 'policy/v1', 'kids-node-0'],
    ['NetworkPolicy', 'networking.k8s.io/v1', 'kids-node-0'],
    ['StatefulSet', 'apps/v1', 'kids-node-0'],
  ];

  beforeAll(async () => {
    await createOrsCluster(admin, namespace, 'kids', { image: 'ors:1', nodes: 1, routing: { host: 'kids.example.test', ingress: { enabled: true } } });
    for (const [kind, apiVersion, name] of kinds) await waitFor(`${kind} ${name}`, () => admin.find(pathOf(apiVersion, kind, namespace, name)));
  });

  for (const [kind, apiVersion, name] of kinds) {
    it(`restores a deleted ${kind} (${name}) at once`, async () => {
      const before = await admin.get<V1Secret>(pathOf(apiVersion, kind, namespace, name));
      const t0 = performance.now();
      await admin.delete(pathOf(apiVersion, kind, namespace, name));
      const after = await waitFor(`${kind} ${name} restored`, async () => {
        const o = await admin.find<V1Secret>(pathOf(apiVersion, kind, namespace, name));
        return o && o.metadata!.uid !== before.metadata!.uid ? o : undefined;
      }, 20_000);
      console.log(`${kind} ${name} restored ${Math.round(performance.now() - t0)} ms after its deletion`);
      if (kind === 'Secret') expect(after.data).toEqual(before.data); // the running pairs keep their key, the clients their token
    });
  }

  it('mounts its own API-tokens Secret by default, and deletes it once the spec opens the API or names another Secret', async () => {
    const statefulSet = () => admin.get<{ spec: { template: { spec: { volumes?: { name: string; secret?: { secretName: string } }[] } } } }>(pathOf('apps/v1', 'StatefulSet', namespace, 'kids-node-0'));
    const tokensVolume = async () => (await statefulSet()).spec.template.spec.volumes?.find((v) => v.name === 'api-tokens')?.secret?.secretName;
    expect(await tokensVolume()).toBe('kids-api-tokens');
    const token = Buffer.from((await admin.get<V1Secret>(pathOf('v1', 'Secret', namespace, 'kids-api-tokens'))).data!.tokens!, 'base64').toString('utf8');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await admin.mergePatch(orsClusterPath(namespace, 'kids'), { spec: { apiAuth: { tokensSecret: 'kids-own-tokens' } } }, 'test');
    // Named but missing: said before any pod needs it, and the pods keep the Secret they have.
    const missing = await waitFor('SecretMissing', async () => {
      const d = await condition('kids', 'Degraded');
      return d?.reason === 'SecretMissing' ? d : undefined;
    }, 20_000);
    expect(missing.message).toContain('spec.apiAuth.tokensSecret: Secret kids-own-tokens does not exist');
    expect(await tokensVolume()).toBe('kids-api-tokens');
    await admin.request('POST', `/api/v1/namespaces/${namespace}/secrets`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kids-own-tokens' }, stringData: { tokens: 'mine' } } });
    await waitFor('the StatefulSet to mount kids-own-tokens', async () => ((await tokensVolume()) === 'kids-own-tokens' ? true : undefined), 20_000);
    await waitFor('kids-api-tokens deleted', async () => ((await admin.find(pathOf('v1', 'Secret', namespace, 'kids-api-tokens'))) ? undefined : true), 20_000);
    await admin.mergePatch(orsClusterPath(namespace, 'kids'), { spec: { apiAuth: { mode: 'none', tokensSecret: null } } }, 'test');
    await waitFor('no tokens volume', async () => ((await tokensVolume()) === undefined ? true : undefined), 20_000);
    expect(await admin.find(pathOf('v1', 'Secret', namespace, 'kids-api-tokens'))).toBeUndefined();
  });
});

describe('strategies, references and waits', () => {
  it('reports an invalid inline strategy with its line and column, and a valid one clears it', async () => {
    await createOrsCluster(admin, namespace, 'strat', { image: 'ors:1', nodes: 1, strategies: [{ name: 'main.scxml', scxml: INVALID_SCXML }] });
    const c = await waitFor('StrategyInvalid', async () => {
      const d = await condition('strat', 'Degraded');
      return d?.reason === 'StrategyInvalid' ? d : undefined;
    });
    expect(c.message).toMatch(/strategy main\.scxml \(spec\.strategies inline\): main\.scxml:3:\d+: <transition>: .*nowhere/);
    await admin.mergePatch(orsClusterPath(namespace, 'strat'), { spec: { strategies: [{ name: 'main.scxml', scxml: VALID_SCXML }] } }, 'test');
    await waitFor('StrategyInvalid cleared', async () => ((await condition('strat', 'Degraded'))?.status === 'False' ? true : undefined));
  });

  it('reports an invalid strategy in a ConfigMap the same way', async () => {
    await admin.request('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'user-strategies' }, data: { 'route.scxml': INVALID_SCXML } },
    });
    await createOrsCluster(admin, namespace, 'cmstrat', { image: 'ors:1', nodes: 1, strategies: [{ name: 'route.scxml', configMap: { name: 'user-strategies', key: 'route.scxml' } }] });
    const c = await waitFor('StrategyInvalid from the ConfigMap', async () => {
      const d = await condition('cmstrat', 'Degraded');
      return d?.reason === 'StrategyInvalid' ? d : undefined;
    });
    expect(c.message).toMatch(/strategy route\.scxml \(ConfigMap user-strategies key route\.scxml\): route\.scxml:3:\d+:/);
  });

  it('shows a missing PriorityClass before any pod needs it, creates no StatefulSet meanwhile, and aggregates the repeats into one Event series', async () => {
    await createOrsCluster(admin, namespace, 'prio', { image: 'ors:1', nodes: 1, priorityClassName: 'ors-gold' });
    const c = await waitFor('PriorityClassMissing', async () => {
      const d = await condition('prio', 'Degraded');
      return d?.reason === 'PriorityClassMissing' ? d : undefined;
    });
    expect(c.message).toBe('spec.priorityClassName: PriorityClass ors-gold does not exist, so no runtime pod can be created');
    expect(await admin.find(pathOf('apps/v1', 'StatefulSet', namespace, 'prio-node-0'))).toBeUndefined();
    // The retries (with backoff) repeat the warning: one Event, its series counting them.
    const series = await waitFor('a PriorityClassMissing series', async () => {
      const events = (await eventsOf('prio')).filter((e) => e.reason === 'PriorityClassMissing');
      return events.length === 1 && (events[0]!.series?.count ?? 1) >= 2 ? events : undefined;
    }, 60_000);
    expect(series).toHaveLength(1);
    await admin.request('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', {
      body: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'ors-gold' }, value: 1000 },
    });
    try {
      await waitFor('the StatefulSet once the PriorityClass exists', () => admin.find(pathOf('apps/v1', 'StatefulSet', namespace, 'prio-node-0')), 90_000);
      await waitFor('Degraded cleared', async () => ((await condition('prio', 'Degraded'))?.status === 'False' ? true : undefined));
    } finally {
      await admin.delete('/apis/scheduling.k8s.io/v1/priorityclasses/ors-gold');
    }
  });

  it('shows a switchover waiting for an unsynced backup, as a condition and an Event', async () => {
    await createOrsCluster(admin, namespace, 'sw', { image: 'ors:1', nodes: 1 });
    await waitFor('sw pods', async () => {
      const pods = await admin.get<{ items: unknown[] }>(`/api/v1/namespaces/${namespace}/pods?labelSelector=ors.dev%2Fcluster%3Dsw`);
      return pods.items.length === 2 ? true : undefined;
    });
    const player = new PodPlayer(admin, namespace, 'sw', () => 1);
    players.push(player);
    await player.bootstrap();
    await waitFor('sw running', async () => ((await getCluster('sw')).status?.phase === 'Running' ? true : undefined));
    await setSyncState(admin, namespace, 'sw-node-0', 'sw-node-0-1', 'sw-node-0-0', false);
    await admin.mergePatch(orsClusterPath(namespace, 'sw'), { metadata: { annotations: { 'ors.dev/switchover': '0' } } }, 'test');
    const progressing = await waitFor('Progressing BackupNotSynced', async () => {
      const p = await condition('sw', 'Progressing');
      return p?.reason === 'BackupNotSynced' ? p : undefined;
    });
    expect(progressing).toMatchObject({ status: 'True', message: expect.stringContaining('manual switchover of node 0: waiting for the backup to be synced') });
    await waitFor('a BackupNotSynced Event', async () => ((await eventsOf('sw')).some((e) => e.reason === 'BackupNotSynced' && e.note?.includes('node 0')) ? true : undefined));
    // Once synced, the switchover goes ahead and the wait disappears.
    await setSyncState(admin, namespace, 'sw-node-0', 'sw-node-0-1', 'sw-node-0-0', true);
    player.start();
    await waitFor('switched over', async () => ((await getCluster('sw')).status?.nodes?.[0]?.primary === 'sw-node-0-1' ? true : undefined));
  });
});

describe('/readyz', () => {
  const readyz = async (o: OperatorProcess) => {
    const res = await fetch(`http://127.0.0.1:${o.port}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('is 200 for a replica whose permissions work', async () => {
    expect(await readyz(operator)).toMatchObject({ status: 200, body: { apiAccess: 'ok' } });
  });

  it('is 503, saying why, for a replica whose credentials the API server rejects', async () => {
    const kubeconfig = await writeKubeconfig(`${(await import('node:os')).tmpdir()}/ors-bad-token-${process.pid}.kubeconfig`, {
      name: 'bad', server: plane.server, certificateAuthority: plane.caFile, credentials: { token: 'not-a-token' },
    });
    const bad = await startOperator({ kubeconfig, namespace, identity: 'bad-token' });
    extraOperators.push(bad);
    const answer = await readyz(bad);
    expect(answer.status).toBe(503);
    expect(answer.body.apiAccess).toMatch(/401 Unauthorized/);
  });

  it('is 503, naming the missing verbs, for a ServiceAccount without the ClusterRole', async () => {
    await admin.apply(`/api/v1/namespaces/${namespace}/serviceaccounts/powerless`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'powerless', namespace } }, 'ors-tests');
    const token = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/powerless/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    });
    const kubeconfig = await writeKubeconfig(`${(await import('node:os')).tmpdir()}/ors-powerless-${process.pid}.kubeconfig`, {
      name: 'powerless', server: plane.server, certificateAuthority: plane.caFile, credentials: { token: token.status.token },
    });
    const powerless = await startOperator({ kubeconfig, namespace, identity: 'powerless' });
    extraOperators.push(powerless);
    const answer = await readyz(powerless);
    expect(answer.status).toBe(503);
    expect(answer.body.apiAccess).toMatch(/^not allowed to .*watch ors\.dev\/orsclusters in /);
  });
});
