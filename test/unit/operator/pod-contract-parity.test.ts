// The two sides of the operator <-> pod contract (operator/api/pod-contract.md) use the
// same names: the HA runtime's Lease annotations and environment, and the operator's.
import { describe, expect, it } from 'vitest';
import * as operatorSide from '../../../operator/api/pod-contract.ts';
import * as podSide from '../../../runtime/ha/leader-election/lease-record.ts';
import { primaryLoadAnnotation } from '../../../runtime/ha/lease-role-source.ts';
import { withPodEnvironment } from '../../../runtime/ha/pod-environment.ts';
import { optionsFromEnv, resolveConfig } from '../../../runtime/config/load-config.ts';
import { parseOrsCluster } from '../../../operator/api/parse-ors-cluster.ts';
import { buildNodeStatefulSet } from '../../../operator/builders/node-statefulset.ts';

describe('operator <-> pod contract', () => {
  it('names the Lease annotations the same on both sides', () => {
    expect(podSide.SYNC_STATE_ANNOTATION).toBe(operatorSide.SYNC_STATE_ANNOTATION);
    expect(podSide.STEP_DOWN_ANNOTATION).toBe(operatorSide.STEP_DOWN_ANNOTATION);
    expect(podSide.DRAIN_ANNOTATION).toBe(operatorSide.DRAIN_ANNOTATION);
    expect(podSide.ACTIVE_SESSIONS_ANNOTATION).toBe(operatorSide.ACTIVE_SESSIONS_ANNOTATION);
    expect(podSide.FAILSAFE_ANNOTATION).toBe(operatorSide.FAILSAFE_ANNOTATION);
    expect(podSide.PRIMARY_LOAD_ANNOTATION).toBe(operatorSide.PRIMARY_LOAD_ANNOTATION);
  });

  it('the load report the runtime publishes is what the operator reads as current', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const annotation = primaryLoadAnnotation({ primary: 'demo-node-0-1', sessions: 5, syncLagMs: 3.6 }, at);
    const load = operatorSide.parsePrimaryLoad(annotation[operatorSide.PRIMARY_LOAD_ANNOTATION]);
    expect(load).toEqual({ primary: 'demo-node-0-1', sessions: 5, syncLagMs: 4, at: at.toISOString() });
    expect(operatorSide.currentPrimaryLoad(load, 'demo-node-0-1', 15, new Date(at.getTime() + 29_000))).toEqual(load);
    expect(operatorSide.currentPrimaryLoad(load, 'demo-node-0-1', 15, new Date(at.getTime() + 30_000))).toBeUndefined();
    expect(operatorSide.currentPrimaryLoad(load, 'demo-node-0-0', 15, at)).toBeUndefined();
  });

  it('the environment the operator gives a pod turns into the runtime\'s Lease election settings', () => {
    const parsed = parseOrsCluster({
      metadata: { name: 'demo', namespace: 'contact', uid: 'u' },
      spec: { image: 'ors:1', leaderElection: { leaseDurationSeconds: 20, renewDeadlineSeconds: 12, retryPeriodSeconds: 3 } },
    });
    if (!parsed.ok) throw new Error(parsed.message);
    const container = buildNodeStatefulSet(parsed.cluster, 0).spec!.template.spec!.containers[0]!;
    const env: Record<string, string> = {};
    for (const e of container.env!) env[e.name] = e.value ?? (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name' ? 'demo-node-0-1' : 'contact');
    // The runtime reads its ORS_<OPTION> variables (node id, ports, external URL...) and accepts them.
    const fromEnv = resolveConfig({ env: optionsFromEnv(env) });
    expect(fromEnv).toMatchObject({ 'node-id': 'node-0', 'http-host': '0.0.0.0', 'http-port': 8080, 'sync-port': 7000, 'external-url': 'http://demo-node-0.contact.svc:8080' });
    const config = withPodEnvironment(fromEnv, env);
    expect(config).toMatchObject({
      lease: 'kubernetes',
      'lease-name': 'demo-node-0',
      'lease-namespace': 'contact',
      identity: 'demo-node-0-1',
      'lease-duration': 20_000,
      'lease-renew-deadline': 12_000,
      'lease-retry-period': 3_000,
      'sync-advertise-address': 'demo-node-0-1.demo-node-0-sync.contact.svc:7000',
      'sync-key-file': '/etc/ors/sync-key/key',
    });
  });
});
