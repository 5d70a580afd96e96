// The shared key a node's pods use to authenticate their sync connection. The key is an
// input: the controller passes the existing one (and only creates the Secret when it is
// missing), so a reconcile never rotates it by accident.
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { clusterLabels, ownedMetadata, syncKeySecretName } from './names.ts';

export function generateSyncKey(): string {
  return randomBytes(32).toString('base64');
}

export function buildSyncKeySecret(cluster: OrsCluster, key: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMetadata(cluster, syncKeySecretName(cluster.metadata.name), clusterLabels(cluster.metadata.name, 'sync-key')),
    type: 'Opaque',
    stringData: { key },
  };
}
