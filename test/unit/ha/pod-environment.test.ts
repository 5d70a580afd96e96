import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../runtime/config/load-config.ts';
import { withPodEnvironment } from '../../../runtime/ha/pod-environment.ts';

const base = resolveConfig({ flags: {} });

describe('withPodEnvironment', () => {
  it('leaves a process outside Kubernetes alone', () => {
    expect(withPodEnvironment(base, {})).toBe(base);
  });

  it('turns the operator\'s pod environment into a Kubernetes Lease election', () => {
    const config = withPodEnvironment(base, {
      ORS_LEASE_NAME: 'demo-node-1',
      ORS_POD_NAME: 'demo-node-1-0',
      ORS_NAMESPACE: 'ors',
      ORS_LEASE_DURATION_SECONDS: '15',
      ORS_RENEW_DEADLINE_SECONDS: '10',
      ORS_RETRY_PERIOD_SECONDS: '2',
      ORS_HTTP_HOST: '0.0.0.0',
      ORS_SYNC_PEERS: 'demo-node-1-0.demo-node-1-sync:8081,demo-node-1-1.demo-node-1-sync:8081',
      ORS_SYNC_KEY_FILE: '/etc/ors/sync-key/key',
      ORS_PERSISTENCE: 'none',
    });
    expect(config).toMatchObject({
      lease: 'kubernetes',
      'lease-name': 'demo-node-1',
      'lease-namespace': 'ors',
      identity: 'demo-node-1-0',
      'lease-duration': 15_000,
      'lease-renew-deadline': 10_000,
      'lease-retry-period': 2_000,
      'sync-host': '0.0.0.0',
      'sync-advertise-address': 'demo-node-1-0.demo-node-1-sync:8081',
      'sync-key-file': '/etc/ors/sync-key/key',
      'session-store': 'memory',
    });
  });
});
