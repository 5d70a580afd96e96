// The StatefulSet of one node: two runtime pods that elect their primary through the
// node's Lease. Updates are OnDelete because the operator itself orders a rollout
// (backup first, switchover, then the old primary): only the primary is ever Ready, so
// the StatefulSet controller's RollingUpdate would stall on the backup.
import { createHash } from 'node:crypto';
import type {
  V1Affinity, V1EnvVar, V1ResourceRequirements, V1StatefulSet, V1StatefulSetSpec, V1Volume, V1VolumeProjection,
} from '@kubernetes/client-node';
import { apiAuthPodParts } from './api-auth.ts';
import type { OrsCluster } from '../api/ors-cluster.ts';
import {
  LABEL_CLUSTER, LIVENESS_PATH, OPTIONS_FILE, POD_ENV, READINESS_PATH, STRATEGIES_DIR, SYNC_KEY_FILE,
} from '../api/pod-contract.ts';
import {
  externalUrl, leaseName, nodeLabels, nodeName, nodeSelector, optionsConfigMapName, ownedMetadata, podName,
  runtimeServiceAccountName, strategiesConfigMapName, syncKeySecretName, syncServiceName,
} from './names.ts';
import { optionsHash, runtimeNodeId } from './runtime-config.ts';

export const RUNTIME_CONTAINER = 'ors';
export const OPTIONS_HASH_ANNOTATION = 'ors.dev/options-hash';
/** On the StatefulSet: hash of the pod template the operator applied, so a rollout knows whether the cached StatefulSet already carries it. */
export const TEMPLATE_HASH_ANNOTATION = 'ors.dev/template-hash';
const RUNTIME_UID = 65532;

function env(cluster: OrsCluster, node: number): V1EnvVar[] {
  const name = cluster.metadata.name;
  const { spec } = cluster;
  const peers = [0, 1]
    .map((ordinal) => `${podName(name, node, ordinal)}.${syncServiceName(name, node)}.${cluster.metadata.namespace}.svc:${spec.syncPort}`)
    .join(',');
  return [
    { name: POD_ENV.clusterName, value: name },
    { name: POD_ENV.nodeId, value: runtimeNodeId(node) },
    { name: POD_ENV.httpHost, value: '0.0.0.0' },
    { name: POD_ENV.podName, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: POD_ENV.namespace, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: POD_ENV.leaseName, value: leaseName(name, node) },
    { name: POD_ENV.leaseDurationSeconds, value: String(spec.leaderElection.leaseDurationSeconds) },
    { name: POD_ENV.renewDeadlineSeconds, value: String(spec.leaderElection.renewDeadlineSeconds) },
    { name: POD_ENV.retryPeriodSeconds, value: String(spec.leaderElection.retryPeriodSeconds) },
    { name: POD_ENV.httpPort, value: String(spec.httpPort) },
    { name: POD_ENV.syncPort, value: String(spec.syncPort) },
    { name: POD_ENV.syncPeers, value: peers },
    { name: POD_ENV.syncKeyFile, value: SYNC_KEY_FILE },
    { name: POD_ENV.externalUrl, value: externalUrl(cluster, node) },
    { name: POD_ENV.optionsFile, value: OPTIONS_FILE },
    { name: POD_ENV.strategiesDir, value: STRATEGIES_DIR },
    ...persistenceEnv(cluster),
  ];
}

/** Persistence settings as ORS_<OPTION> variables (the runtime ignores names it does not know yet). */
function persistenceEnv(cluster: OrsCluster): V1EnvVar[] {
  const { persistence } = cluster.spec;
  const env: V1EnvVar[] = [{ name: 'ORS_PERSISTENCE', value: persistence.type }];
  const c = persistence.cassandra;
  if (persistence.type !== 'cassandra' || !c) return env;
  env.push(
    { name: 'ORS_CASSANDRA_CONTACT_POINTS', value: c.contactPoints.join(',') },
    { name: 'ORS_CASSANDRA_PORT', value: String(c.port) },
    { name: 'ORS_CASSANDRA_KEYSPACE', value: c.keyspace },
    { name: 'ORS_CASSANDRA_LOCAL_DATA_CENTER', value: c.localDataCenter },
  );
  if (c.replication) {
    env.push({ name: 'ORS_CASSANDRA_REPLICATION', value: Object.entries(c.replication).map(([dc, replicas]) => `${dc}=${replicas}`).join(',') });
  }
  if (c.credentialsSecret) {
    env.push(
      { name: 'ORS_CASSANDRA_USERNAME', valueFrom: { secretKeyRef: { name: c.credentialsSecret, key: 'username' } } },
      { name: 'ORS_CASSANDRA_PASSWORD', valueFrom: { secretKeyRef: { name: c.credentialsSecret, key: 'password' } } },
    );
  }
  return env;
}

function strategySources(cluster: OrsCluster): V1VolumeProjection[] {
  const inline = cluster.spec.strategies.filter((s) => s.scxml !== undefined);
  const sources: V1VolumeProjection[] = [];
  if (inline.length > 0) {
    sources.push({
      configMap: { name: strategiesConfigMapName(cluster.metadata.name), items: inline.map((s) => ({ key: s.name, path: s.name })) },
    });
  }
  for (const s of cluster.spec.strategies) {
    if (s.configMap) sources.push({ configMap: { name: s.configMap.name, items: [{ key: s.configMap.key, path: s.name }] } });
  }
  return sources;
}

function volumes(cluster: OrsCluster): V1Volume[] {
  const name = cluster.metadata.name;
  return [
    { name: 'options', configMap: { name: optionsConfigMapName(name) } },
    { name: 'sync-key', secret: { secretName: syncKeySecretName(name), defaultMode: 0o400 } },
    { name: 'strategies', projected: { sources: strategySources(cluster) } },
    { name: 'tmp', emptyDir: {} },
    ...apiAuthPodParts(cluster).volumes,
  ];
}

/** User affinity, plus "the node's two pods on different hosts" unless the user set pod anti-affinity. */
function affinity(cluster: OrsCluster, node: number): V1Affinity {
  const user = (cluster.spec.affinity ?? {}) as V1Affinity;
  if (user.podAntiAffinity) return user;
  return {
    ...user,
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: nodeSelector(cluster.metadata.name, node) } },
        },
      ],
    },
  };
}

/** Quantities as strings, as core/v1 declares them (the CRD accepts plain integers too). */
function resourceRequirements(resources: NonNullable<OrsCluster['spec']['resources']>): V1ResourceRequirements {
  const asStrings = (m?: Record<string, string | number>) =>
    m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)])) : undefined;
  return {
    ...(resources.requests ? { requests: asStrings(resources.requests) } : {}),
    ...(resources.limits ? { limits: asStrings(resources.limits) } : {}),
  };
}

export function buildNodeStatefulSet(cluster: OrsCluster, node: number): V1StatefulSet {
  const name = cluster.metadata.name;
  const spec = statefulSetSpec(cluster, node);
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      ...ownedMetadata(cluster, nodeName(name, node), nodeLabels(name, node, 'node')),
      annotations: { [TEMPLATE_HASH_ANNOTATION]: hashTemplate(spec) },
    },
    spec,
  };
}

function hashTemplate(spec: V1StatefulSetSpec): string {
  return createHash('sha256').update(JSON.stringify(spec.template)).digest('hex').slice(0, 16);
}

/** The hash TEMPLATE_HASH_ANNOTATION carries for this node's desired pod template. */
export function podTemplateHash(cluster: OrsCluster, node: number): string {
  return hashTemplate(statefulSetSpec(cluster, node));
}

function statefulSetSpec(cluster: OrsCluster, node: number): V1StatefulSetSpec {
  const name = cluster.metadata.name;
  const { spec } = cluster;
  const podLabels = nodeLabels(name, node, 'runtime');
  return {
    replicas: 2,
    serviceName: syncServiceName(name, node),
    podManagementPolicy: 'Parallel',
    updateStrategy: { type: 'OnDelete' },
    selector: { matchLabels: nodeSelector(name, node) },
    template: {
      metadata: { labels: podLabels, annotations: { [OPTIONS_HASH_ANNOTATION]: optionsHash(cluster) } },
      spec: {
        serviceAccountName: runtimeServiceAccountName(name),
        automountServiceAccountToken: true,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 30,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: RUNTIME_UID,
          runAsGroup: RUNTIME_UID,
          fsGroup: RUNTIME_UID,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets.map((s) => ({ name: s })) } : {}),
        ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
        ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
        ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
        affinity: affinity(cluster, node),
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: { [LABEL_CLUSTER]: name } },
          },
        ],
        containers: [
          {
            name: RUNTIME_CONTAINER,
            image: spec.image,
            imagePullPolicy: spec.imagePullPolicy,
            args: ['runtime', '--config', OPTIONS_FILE],
            env: env(cluster, node),
            ports: [
              { name: 'http', containerPort: spec.httpPort, protocol: 'TCP' },
              { name: 'sync', containerPort: spec.syncPort, protocol: 'TCP' },
            ],
            readinessProbe: { httpGet: { path: READINESS_PATH, port: 'http' }, periodSeconds: 2, failureThreshold: 1, successThreshold: 1 },
            livenessProbe: { httpGet: { path: LIVENESS_PATH, port: 'http' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
            startupProbe: { httpGet: { path: LIVENESS_PATH, port: 'http' }, periodSeconds: 2, failureThreshold: 60 },
            ...(spec.resources ? { resources: resourceRequirements(spec.resources) } : {}),
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              capabilities: { drop: ['ALL'] },
              seccompProfile: { type: 'RuntimeDefault' },
            },
            volumeMounts: [
              { name: 'options', mountPath: OPTIONS_FILE.slice(0, OPTIONS_FILE.lastIndexOf('/')), readOnly: true },
              { name: 'sync-key', mountPath: SYNC_KEY_FILE.slice(0, SYNC_KEY_FILE.lastIndexOf('/')), readOnly: true },
              { name: 'strategies', mountPath: STRATEGIES_DIR, readOnly: true },
              { name: 'tmp', mountPath: '/tmp' },
              ...apiAuthPodParts(cluster).mounts,
            ],
          },
        ],
        volumes: volumes(cluster),
      },
    },
  };
}
