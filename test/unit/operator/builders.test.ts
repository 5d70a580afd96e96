// Golden-file tests of the builders: each desired object is compared with
// test/unit/operator/golden/<case>/<kind>-<name>.yaml. UPDATE_GOLDEN=1 rewrites them
// (review the diff before committing).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseOrsCluster } from '../../../operator/api/parse-ors-cluster.ts';
import type { OrsCluster } from '../../../operator/api/ors-cluster.ts';
import { buildDesiredObjects } from '../../../operator/builders/desired-objects.ts';
import { buildRuntimeRole } from '../../../operator/builders/runtime-rbac.ts';
import { externalUrl } from '../../../operator/builders/names.ts';
import { optionsHash } from '../../../operator/builders/runtime-config.ts';

const goldenRoot = path.join(import.meta.dirname, 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

function cluster(spec: unknown, name = 'demo'): OrsCluster {
  const parsed = parseOrsCluster({ metadata: { name, namespace: 'contact', uid: '00000000-0000-4000-8000-000000000001', generation: 1 }, spec });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cluster;
}

const minimal = cluster({ image: 'ghcr.io/ors/runtime:0.1.0' });
const full = cluster({
  nodes: 2,
  image: 'ghcr.io/ors/runtime:0.1.0',
  strategies: [
    { name: 'main.scxml', configMap: { name: 'strategies', key: 'main.scxml' } },
    { name: 'hello.scxml', scxml: '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><final id="done"/></scxml>' },
  ],
  options: { callWatchingTimeout: 3000, restartSessionOnSwitchover: true, sessionRestartTimeout: 20 },
  persistence: { type: 'cassandra', cassandra: { contactPoints: ['cassandra-0.cassandra', 'cassandra-1.cassandra'], credentialsSecret: 'cassandra-auth' } },
  telephony: { url: 'wss://sip-gateway.telephony.svc:9443/ors' },
  routing: {
    host: 'ors.example.com', scheme: 'https',
    ingress: { enabled: true, className: 'nginx', tlsSecretName: 'ors-tls' },
    gateway: { enabled: true, parentRefs: [{ name: 'public', namespace: 'gateways', sectionName: 'https' }] },
  },
  resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
  tolerations: [{ key: 'contact-center', operator: 'Exists', effect: 'NoSchedule' }],
  nodeSelector: { 'pool': 'ors' },
});

function fileName(o: KubernetesObject): string {
  return `${o.kind!.toLowerCase()}-${o.metadata!.name}.yaml`;
}

function checkGolden(caseName: string, objects: KubernetesObject[]): void {
  const dir = path.join(goldenRoot, caseName);
  if (update) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const o of objects) writeFileSync(path.join(dir, fileName(o)), stringify(o, { lineWidth: 0 }));
  }
  expect(existsSync(dir), `golden files missing: run UPDATE_GOLDEN=1 vitest run ${path.relative(process.cwd(), import.meta.filename)}`).toBe(true);
  expect(readdirSync(dir).sort()).toEqual(objects.map(fileName).sort());
  for (const o of objects) {
    expect(stringify(o, { lineWidth: 0 }), fileName(o)).toBe(readFileSync(path.join(dir, fileName(o)), 'utf8'));
  }
}

describe('builders (golden files)', () => {
  it('minimal cluster: one node, no routing, no persistence', () => {
    checkGolden('minimal', buildDesiredObjects(minimal, [0], { syncKey: 'c3luYy1rZXktZm9yLXRlc3Rz', apiTokens: 'YXBpLXRva2VuLWZvci10ZXN0cw' }));
  });

  it('full cluster: two nodes, inline and ConfigMap strategies, Cassandra, a telephony server, Ingress and Gateway routes', () => {
    checkGolden('full', buildDesiredObjects(full, [0, 1], { syncKey: 'c3luYy1rZXktZm9yLXRlc3Rz', apiTokens: 'YXBpLXRva2VuLWZvci10ZXN0cw' }));
  });
});

describe('builders (properties)', () => {
  it('every object is owned by the OrsCluster as its controller', () => {
    for (const o of buildDesiredObjects(full, [0, 1], { syncKey: 'k', apiTokens: 't' })) {
      expect(o.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'OrsCluster', name: 'demo', controller: true, blockOwnerDeletion: true })]);
      expect(o.metadata!.namespace).toBe('contact');
    }
  });

  it('node URLs: public node host when routed, the in-cluster Service otherwise', () => {
    expect(externalUrl(full, 1)).toBe('https://node-1.ors.example.com');
    expect(externalUrl(minimal, 0)).toBe('http://demo-node-0.contact.svc:8080');
  });

  it('an options change changes the pod template hash; a node-count change does not', () => {
    const changed = cluster({ ...minimalSpec(), options: { callWatchingTimeout: 1 } });
    const scaled = cluster({ ...minimalSpec(), nodes: 5 });
    expect(optionsHash(changed)).not.toBe(optionsHash(minimal));
    expect(optionsHash(scaled)).toBe(optionsHash(minimal));
  });

  it('the runtime Role names exactly the nodes\' Leases, and may only get its own pods', () => {
    const role = buildRuntimeRole(full, [0, 1, 2]);
    expect(role.rules![1]!.resourceNames).toEqual(['demo-node-0', 'demo-node-1', 'demo-node-2']);
    expect(role.rules!.flatMap((r) => r.resources)).toEqual(['leases', 'leases', 'pods']);
    expect(role.rules![2]).toEqual({
      apiGroups: [''],
      resources: ['pods'],
      resourceNames: ['demo-node-0-0', 'demo-node-0-1', 'demo-node-1-0', 'demo-node-1-1', 'demo-node-2-0', 'demo-node-2-1'],
      verbs: ['get'],
    });
  });

  it('bad specs are reported with their path, not thrown', () => {
    const parsed = parseOrsCluster({ metadata: { name: 'x', namespace: 'n', uid: 'u' }, spec: { nodes: -1 } });
    expect(parsed).toEqual({ ok: false, message: expect.stringMatching(/nodes.*image|image.*nodes/s) });
  });
});

function minimalSpec() {
  return { image: 'ghcr.io/ors/runtime:0.1.0' };
}
