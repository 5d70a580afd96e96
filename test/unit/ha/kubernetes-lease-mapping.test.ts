import { describe, expect, it } from 'vitest';
import { leaseToRecord, recordToLease } from '../../../runtime/ha/leader-election/kubernetes-lease-lock.ts';

describe('Lease <-> record', () => {
  it('round-trips holder, times, transitions and annotations; rounds the duration up to whole seconds', () => {
    const record = { holderIdentity: 'pod-0', acquireTime: 1_700_000_000_123, renewTime: 1_700_000_001_456, leaseDurationSeconds: 2.5, leaseTransitions: 7, annotations: { 'ors.dev/http-url': 'http://x' } };
    const lease = recordToLease(record, { namespace: 'ns', name: 'n-node-0', resourceVersion: '42' });
    expect(lease.metadata).toMatchObject({ name: 'n-node-0', namespace: 'ns', resourceVersion: '42' });
    expect(lease.spec?.leaseDurationSeconds).toBe(3);
    expect(leaseToRecord(lease)).toEqual({ ...record, leaseDurationSeconds: 3 });
  });

  it('maps a released lease (no holder) to an empty holder and back', () => {
    const lease = recordToLease({ holderIdentity: '', acquireTime: 1, renewTime: 1, leaseDurationSeconds: 1, leaseTransitions: 2, annotations: {} }, { namespace: 'ns', name: 'l' });
    expect(lease.spec?.holderIdentity).toBeUndefined();
    expect(leaseToRecord(lease).holderIdentity).toBe('');
  });
});
