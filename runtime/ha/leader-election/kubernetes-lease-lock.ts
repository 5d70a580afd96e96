// A coordination.k8s.io/v1 Lease as the lock, with optimistic concurrency on
// metadata.resourceVersion (the API server answers 409 Conflict to a stale replace).
// Record annotations live in metadata.annotations; annotations of others on the Lease
// (the operator's requests) are kept untouched.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { LeaseConflictError, type LeaseLock } from './lease-lock.ts';
import type { LeaseRecord, VersionedLeaseRecord } from './lease-record.ts';

export interface KubernetesLeaseLockOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  /** Labels put on the Lease when this lock creates it. */
  labels?: Record<string, string>;
}

function statusCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export function leaseToRecord(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  const time = (value: Date | undefined) => (value ? new Date(value).getTime() : 0);
  return {
    holderIdentity: spec.holderIdentity ?? '',
    acquireTime: time(spec.acquireTime),
    renewTime: time(spec.renewTime),
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 1,
    leaseTransitions: spec.leaseTransitions ?? 0,
    annotations: { ...(lease.metadata?.annotations ?? {}) },
  };
}

export function recordToLease(record: LeaseRecord, base: { namespace: string; name: string; resourceVersion?: string; labels?: Record<string, string> }): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: base.name,
      namespace: base.namespace,
      resourceVersion: base.resourceVersion,
      labels: base.labels,
      annotations: record.annotations,
    },
    spec: {
      holderIdentity: record.holderIdentity === '' ? undefined : record.holderIdentity,
      acquireTime: new V1MicroTime(record.acquireTime),
      renewTime: new V1MicroTime(record.renewTime),
      // The API takes whole seconds; round up so the lease is never shorter than asked.
      leaseDurationSeconds: Math.max(1, Math.ceil(record.leaseDurationSeconds)),
      leaseTransitions: record.leaseTransitions,
    },
  };
}

export class KubernetesLeaseLock implements LeaseLock {
  private readonly api: CoordinationV1Api;
  private readonly options: KubernetesLeaseLockOptions;
  /** Labels of the Lease as last read, so a replace does not drop them. */
  private labels: Record<string, string> | undefined;

  constructor(options: KubernetesLeaseLockOptions) {
    this.options = options;
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.labels = options.labels;
  }

  describe(): string {
    return `Lease ${this.options.namespace}/${this.options.name}`;
  }

  async get(): Promise<VersionedLeaseRecord | undefined> {
    try {
      const lease = await this.api.readNamespacedLease({ name: this.options.name, namespace: this.options.namespace });
      this.labels = lease.metadata?.labels ?? this.labels;
      return { record: leaseToRecord(lease), version: lease.metadata?.resourceVersion ?? '' };
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  async create(record: LeaseRecord): Promise<VersionedLeaseRecord> {
    const { namespace, name } = this.options;
    try {
      const lease = await this.api.createNamespacedLease({ namespace, body: recordToLease(record, { namespace, name, labels: this.labels }) });
      return { record: leaseToRecord(lease), version: lease.metadata?.resourceVersion ?? '' };
    } catch (error) {
      if (statusCode(error) === 409) throw new LeaseConflictError(this.describe(), 'already exists');
      throw error;
    }
  }

  async patchAnnotations(annotations: Record<string, string | null>): Promise<void> {
    const { namespace, name } = this.options;
    const { setHeaderOptions, PatchStrategy } = await import('@kubernetes/client-node');
    await this.api.patchNamespacedLease(
      { name, namespace, body: { metadata: { annotations } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async update(record: LeaseRecord, version: string): Promise<VersionedLeaseRecord> {
    const { namespace, name } = this.options;
    try {
      const lease = await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: recordToLease(record, { namespace, name, resourceVersion: version, labels: this.labels }),
      });
      return { record: leaseToRecord(lease), version: lease.metadata?.resourceVersion ?? '' };
    } catch (error) {
      if (statusCode(error) === 409) throw new LeaseConflictError(this.describe(), `resourceVersion ${version} is stale`);
      throw error;
    }
  }
}
