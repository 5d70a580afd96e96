// The options ConfigMap: ORS option names (kebab-case) to values, only what the user set
// in spec.options, plus what the operator derives (persistence), so the runtime applies
// its own defaults to the rest. Its hash goes into the pod template: an options change is
// a pod-template change and therefore a rollout.
import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { orsOptionName } from '../api/runtime-options.ts';
import { clusterLabels, optionsConfigMapName, ownedMetadata, strategiesConfigMapName } from './names.ts';

export function runtimeOptionsDocument(cluster: OrsCluster): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cluster.spec.options)) {
    if (value !== undefined) options[orsOptionName(key)] = value;
  }
  const { persistence } = cluster.spec;
  options['persistence'] = persistence.type;
  if (persistence.type === 'cassandra' && persistence.cassandra) {
    const c = persistence.cassandra;
    options['cassandra-contact-points'] = c.contactPoints.join(',');
    options['cassandra-port'] = c.port;
    options['cassandra-keyspace'] = c.keyspace;
    options['cassandra-local-data-center'] = c.localDataCenter;
  }
  return Object.fromEntries(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)));
}

export function optionsJson(cluster: OrsCluster): string {
  return JSON.stringify(runtimeOptionsDocument(cluster), null, 2) + '\n';
}

export function optionsHash(cluster: OrsCluster): string {
  return createHash('sha256').update(optionsJson(cluster)).digest('hex').slice(0, 16);
}

export function buildOptionsConfigMap(cluster: OrsCluster): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMetadata(cluster, optionsConfigMapName(cluster.metadata.name), clusterLabels(cluster.metadata.name, 'options')),
    data: { 'options.json': optionsJson(cluster) },
  };
}

/** The ConfigMap holding inline strategies (spec.strategies[].scxml); none when there are none. */
export function buildStrategiesConfigMap(cluster: OrsCluster): V1ConfigMap | undefined {
  const inline = cluster.spec.strategies.filter((s) => s.scxml !== undefined);
  if (inline.length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMetadata(cluster, strategiesConfigMapName(cluster.metadata.name), clusterLabels(cluster.metadata.name, 'strategies')),
    data: Object.fromEntries(inline.map((s) => [s.name, s.scxml!])),
  };
}
