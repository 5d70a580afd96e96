// The options ConfigMap, read by the runtime as its config file (runtime/config): ORS
// option names (kebab-case) for what the user set in spec.options (the runtime applies
// ORS defaults to the rest), the strategies as named applications, and every node's
// external URL (node-urls, the targets of 307s to other nodes), and the telephony server
// (telephony-url) when spec.telephony is set. The runtime's schema is
// strict, so only options it knows go here; persistence settings go in the environment.
// The hash of the user-facing part goes into the pod template, so an options change is a
// pod-template change and rolls out; node-urls changes with scaling and does not.
import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { orsOptionName } from '../api/runtime-options.ts';
import { STRATEGIES_DIR } from '../api/pod-contract.ts';
import { apiAuthPodParts } from './api-auth.ts';
import { clusterLabels, externalUrl, optionsConfigMapName, ownedMetadata, strategiesConfigMapName } from './names.ts';

export const runtimeNodeId = (node: number) => `node-${node}`;

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** The part of the runtime configuration that, when changed, must restart the pods. */
function templateOptions(cluster: OrsCluster): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cluster.spec.options)) {
    if (value !== undefined) options[orsOptionName(key)] = value;
  }
  if (cluster.spec.telephony) options['telephony-url'] = cluster.spec.telephony.url;
  Object.assign(options, apiAuthPodParts(cluster).options);
  options['strategies-dir'] = STRATEGIES_DIR;
  options['applications'] = sorted(Object.fromEntries(cluster.spec.strategies.map((s) => [s.name, `${STRATEGIES_DIR}/${s.name}`])));
  return sorted(options);
}

export function runtimeOptionsDocument(cluster: OrsCluster, nodeIds: readonly number[]): Record<string, unknown> {
  return sorted({
    ...templateOptions(cluster),
    'node-urls': Object.fromEntries(nodeIds.map((node) => [runtimeNodeId(node), externalUrl(cluster, node)])),
  });
}

export function optionsHash(cluster: OrsCluster): string {
  return createHash('sha256').update(JSON.stringify(templateOptions(cluster))).digest('hex').slice(0, 16);
}

export function buildOptionsConfigMap(cluster: OrsCluster, nodeIds: readonly number[]): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMetadata(cluster, optionsConfigMapName(cluster.metadata.name), clusterLabels(cluster.metadata.name, 'options')),
    data: { 'options.json': JSON.stringify(runtimeOptionsDocument(cluster, nodeIds), null, 2) + '\n' },
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
