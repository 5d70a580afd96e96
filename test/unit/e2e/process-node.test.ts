// The pure parts of the e2e process node: what a kubelet computes from a pod spec.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerCommandLine, containerEnvironment, expandReferences } from '../../e2e/process-node/container-environment.ts';
import { hostsFile } from '../../e2e/process-node/cluster-dns.ts';
import { containerMounts } from '../../e2e/process-node/pod-volumes.ts';
import { sandboxScript } from '../../e2e/process-node/pod-sandbox.ts';
import { chooseNode } from '../../e2e/process-node/pod-scheduling.ts';
import { podStatus, statusDiverged } from '../../e2e/process-node/pod-status.ts';

const pod: V1Pod = {
  metadata: { name: 'cc-node-0-1', namespace: 'ns', uid: 'u1', labels: { 'ors.dev/node': '0' } },
  spec: {
    hostname: 'cc-node-0-1',
    subdomain: 'cc-node-0-sync',
    containers: [
      {
        name: 'ors',
        args: ['runtime', '--node=$(ORS_NODE_ID)', '$$(literal)'],
        env: [
          { name: 'ORS_NODE_ID', value: 'node-0' },
          { name: 'ORS_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'ORS_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'GREETING', value: 'hello $(ORS_NODE_ID) $(UNKNOWN)' },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } },
        ],
        volumeMounts: [
          { name: 'options', mountPath: '/etc/ors/options' },
          { name: 'tmp', mountPath: '/tmp' },
          { name: 'api', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
        ],
      },
    ],
    volumes: [
      { name: 'options', configMap: { name: 'cc-options' } },
      { name: 'tmp', emptyDir: {} },
      {
        name: 'api',
        projected: {
          sources: [
            { serviceAccountToken: { path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      },
    ],
  },
  status: { podIP: '10.1.0.3' },
};

describe('container environment', () => {
  it('resolves values, references, fieldRefs and Secret keys in order', () => {
    const env = containerEnvironment(pod, pod.spec!.containers[0], {
      configMapKey: () => undefined,
      secretKey: (name, key) => (name === 's' && key === 'password' ? 'pw' : undefined),
    });
    expect(env).toEqual({
      ORS_NODE_ID: 'node-0',
      ORS_POD_NAME: 'cc-node-0-1',
      ORS_POD_IP: '10.1.0.3',
      GREETING: 'hello node-0 $(UNKNOWN)',
      PASSWORD: 'pw',
    });
    expect(containerCommandLine(pod.spec!.containers[0], env, ['ors'])).toEqual(['ors', 'runtime', '--node=node-0', '$(literal)']);
  });

  it('fails clearly on a missing Secret key', () => {
    expect(() => containerEnvironment(pod, pod.spec!.containers[0], { configMapKey: () => undefined, secretKey: () => undefined })).toThrow(
      'env PASSWORD: Secret s has no key password',
    );
  });

  it('expands $(VAR) like the kubelet', () => {
    expect(expandReferences('$(A)-$$(A)-$(B)', { A: 'x' })).toBe('x-$(A)-$(B)');
  });
});

describe('volumes and sandbox', () => {
  it('projects ConfigMaps, tokens and downward API fields as files', () => {
    const mounts = containerMounts(pod, pod.spec!.containers[0], {
      configMap: (name): Record<string, string> | undefined => (name === 'cc-options' ? { 'options.json': '{}' } : name === 'kube-root-ca.crt' ? { 'ca.crt': 'CA' } : undefined),
      secret: () => undefined,
      serviceAccountToken: 'TOKEN',
    });
    expect(mounts).toEqual([
      { volume: 'options', mountPath: '/etc/ors/options', content: { kind: 'files', readOnly: true, files: { 'options.json': '{}' } } },
      { volume: 'tmp', mountPath: '/tmp', content: { kind: 'emptyDir' } },
      { volume: 'api', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', content: { kind: 'files', readOnly: true, files: { token: 'TOKEN', 'ca.crt': 'CA', namespace: 'ns' } } },
    ]);
  });

  it('mounts /tmp after the mounts whose sources it would hide', () => {
    const script = sandboxScript({
      overlayDir: '/tmp/pod/overlay',
      hostsFile: '/h/hosts',
      hostname: 'p',
      mounts: [
        { source: '/tmp/pod/tmp', target: '/tmp', readOnly: false },
        { source: '/tmp/pod/options', target: '/etc/ors/options', readOnly: true },
      ],
    });
    expect(script.indexOf("mount --bind '/tmp/pod/options'")).toBeLessThan(script.indexOf("mount --bind '/tmp/pod/tmp' '/tmp'"));
    expect(script).toContain("mount -o remount,bind,ro '/etc/ors/options'");
    expect(script.trimEnd().endsWith('exec "$@"')).toBe(true);
  });

  it('keeps a program folder under /tmp visible over the pod\'s own /tmp', () => {
    const script = sandboxScript({
      overlayDir: '/h/pod/overlay',
      hostsFile: '/h/hosts',
      hostname: 'p',
      mounts: [{ source: '/h/pod/tmp', target: '/tmp', readOnly: false }],
      programFolders: ['/tmp/checkout', '/usr/bin'],
    });
    const keep = script.indexOf("mount --bind '/tmp/checkout' '/h/pod/overlay/program-0'");
    const tmp = script.indexOf("mount --bind '/h/pod/tmp' '/tmp'");
    const back = script.indexOf("mount --bind '/h/pod/overlay/program-0' '/tmp/checkout'");
    expect(keep).toBeGreaterThan(-1);
    expect(tmp).toBeGreaterThan(keep);
    expect(back).toBeGreaterThan(tmp);
    expect(script).not.toContain('/usr/bin');
  });
});

describe('pod network, DNS and scheduling', () => {
  it('names pods under their headless Service', () => {
    expect(hostsFile([{ ...pod, status: { podIP: '10.201.0.3' } }])).toContain(
      '10.201.0.3 cc-node-0-1.cc-node-0-sync.ns.svc.cluster.local cc-node-0-1.cc-node-0-sync.ns.svc cc-node-0-1.cc-node-0-sync',
    );
  });

  it('keeps a node\'s two pods apart and avoids cordoned Nodes', () => {
    const anti: V1Pod = {
      ...pod,
      metadata: { ...pod.metadata, uid: 'new' },
      spec: {
        ...pod.spec!,
        affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'h', labelSelector: { matchLabels: { 'ors.dev/node': '0' } } } }] } },
      },
    };
    const sibling: V1Pod = { ...pod, spec: { ...pod.spec!, nodeName: 'a' } };
    const nodes = [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }, { metadata: { name: 'c' }, spec: { unschedulable: true } }];
    expect(chooseNode(anti, nodes, [sibling])).toBe('b');
    expect(chooseNode(anti, [{ metadata: { name: 'c' }, spec: { unschedulable: true } }], [])).toBeUndefined();
  });
});

describe('pod status', () => {
  // A pod whose container runs and passes its readiness probe.
  const running = {
    podIP: '10.1.0.3',
    hostIP: '10.1.255.1',
    startTime: 't0',
    container: { name: 'ors', image: 'ors:1', state: 'running' as const, startedAt: 't0', ready: true, started: true, restartCount: 0, containerID: 'process://1' },
    transitions: {},
    now: 't1',
  };

  it('is Ready only while the container runs and its readiness probe passes, keeping transition times', () => {
    const observed = running;
    const first = podStatus(observed) as unknown as { phase: string; conditions: { type: string; status: string; lastTransitionTime: string }[] };
    expect(first.phase).toBe('Running');
    expect(first.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: 't1' });
    const second = podStatus({ ...observed, now: 't2' }) as unknown as typeof first;
    expect(second.conditions.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('t1');
    const down = podStatus({ ...observed, container: { ...observed.container, state: 'terminated', ready: true }, now: 't3' }) as unknown as typeof first;
    expect(down.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', lastTransitionTime: 't3' });
  });

  it('sees when the API server\'s copy of the status no longer says what it wrote (the node controller marked the pod NotReady)', () => {
    const observed = { ...running, container: { ...running.container, restartCount: 2 } };
    const written = podStatus(observed);
    expect(statusDiverged(written, structuredClone(written))).toBe(false);
    // Times and conditions of other writers are not ours to judge.
    const retimed = structuredClone(written);
    retimed.conditions!.forEach((c) => (c.lastTransitionTime = 't9' as unknown as Date));
    retimed.conditions!.push({ type: 'DisruptionTarget', status: 'True' });
    expect(statusDiverged(written, retimed)).toBe(false);
    const markedNotReady = structuredClone(written);
    markedNotReady.conditions!.find((c) => c.type === 'Ready')!.status = 'False';
    expect(statusDiverged(written, markedNotReady)).toBe(true);
    const containerNotReady = structuredClone(written);
    containerNotReady.containerStatuses![0]!.ready = false;
    expect(statusDiverged(written, containerNotReady)).toBe(true);
    expect(statusDiverged(written, undefined)).toBe(true);
  });
});
