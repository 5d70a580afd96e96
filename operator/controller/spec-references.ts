// What only the controller can check, reported before any pod needs it: every strategy
// compiles (inline or from its ConfigMap; a compile error names the strategy, line and
// column), every ConfigMap, Secret and PriorityClass the spec names exists. A missing
// PriorityClass would otherwise show only as FailedCreate events on the StatefulSets,
// a missing ConfigMap or Secret as pods stuck creating their volumes or containers.
// User Secrets are read as metadata only: the operator never sees their data.
import { createHash } from 'node:crypto';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { strategyCompileError } from '../../runtime/sessions/strategy-compile-check.ts';
import type { Problem } from '../planning/status-report.ts';
import { pathOf } from './resource-paths.ts';
import { errorMessage, type ReconcileContext } from './reconcile-context.ts';

const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
const COMPILED_KEEP = 1_000;

/** Compile results by strategy name and document: each is compiled once, not once per pass. */
const compiled = new Map<string, string | undefined>();

/** The compile error of an SCXML document (with line and column), or undefined when it compiles. */
export function strategyError(name: string, scxml: string): string | undefined {
  const hash = createHash('sha256').update(name).update('\0').update(scxml).digest('hex');
  if (compiled.has(hash)) return compiled.get(hash);
  const error = strategyCompileError(scxml, name);
  if (compiled.size >= COMPILED_KEEP) compiled.clear();
  compiled.set(hash, error);
  return error;
}

async function find<T extends KubernetesObject>(ctx: ReconcileContext, path: string, accept?: string): Promise<T | undefined | Error> {
  try {
    return await ctx.client.find<T>(path, accept);
  } catch (error) {
    return new Error(errorMessage(error));
  }
}

async function checkStrategies(ctx: ReconcileContext, cluster: OrsCluster): Promise<Problem[]> {
  const problems: Problem[] = [];
  const maps = new Map<string, Promise<V1ConfigMap | undefined | Error>>();
  for (const strategy of cluster.spec.strategies) {
    if (strategy.scxml !== undefined) {
      const error = strategyError(strategy.name, strategy.scxml);
      if (error) problems.push({ reason: 'StrategyInvalid', message: `strategy ${strategy.name} (spec.strategies inline): ${error}` });
      continue;
    }
    const ref = strategy.configMap!;
    if (!maps.has(ref.name)) maps.set(ref.name, find<V1ConfigMap>(ctx, pathOf('v1', 'ConfigMap', cluster.metadata.namespace, ref.name)));
    const cm = await maps.get(ref.name)!;
    if (cm instanceof Error) problems.push({ reason: 'StrategyConfigMapUnreadable', message: `strategy ${strategy.name}: ConfigMap ${ref.name}: ${cm.message}` });
    else if (!cm) problems.push({ reason: 'StrategyConfigMapMissing', message: `strategy ${strategy.name}: ConfigMap ${ref.name} does not exist` });
    else {
      const text = cm.data?.[ref.key] ?? (cm.binaryData?.[ref.key] !== undefined ? Buffer.from(cm.binaryData[ref.key]!, 'base64').toString('utf8') : undefined);
      if (text === undefined) problems.push({ reason: 'StrategyConfigMapMissing', message: `strategy ${strategy.name}: ConfigMap ${ref.name} has no key ${ref.key}` });
      else {
        const error = strategyError(strategy.name, text);
        if (error) problems.push({ reason: 'StrategyInvalid', message: `strategy ${strategy.name} (ConfigMap ${ref.name} key ${ref.key}): ${error}` });
      }
    }
  }
  return problems;
}

/** Secrets the spec names, with what each is for. */
function secretReferences(cluster: OrsCluster): [string, string][] {
  const { spec } = cluster;
  return [
    ...(spec.imagePullSecrets ?? []).map((s): [string, string] => [s, 'spec.imagePullSecrets']),
    ...(spec.persistence.cassandra?.credentialsSecret ? [[spec.persistence.cassandra.credentialsSecret, 'spec.persistence.cassandra.credentialsSecret'] as [string, string]] : []),
    ...(spec.apiAuth.mode === 'bearer' && spec.apiAuth.tokensSecret ? [[spec.apiAuth.tokensSecret, 'spec.apiAuth.tokensSecret'] as [string, string]] : []),
    ...(spec.routing.ingress.enabled && spec.routing.ingress.tlsSecretName ? [[spec.routing.ingress.tlsSecretName, 'spec.routing.ingress.tlsSecretName'] as [string, string]] : []),
  ];
}

export async function checkSpecReferences(ctx: ReconcileContext, cluster: OrsCluster): Promise<Problem[]> {
  const { namespace } = cluster.metadata;
  const checks: Promise<Problem[]>[] = [checkStrategies(ctx, cluster)];
  for (const [secret, field] of secretReferences(cluster)) {
    checks.push(find(ctx, pathOf('v1', 'Secret', namespace, secret), METADATA_ONLY).then((found) => {
      if (found instanceof Error) return [{ reason: 'SecretUnreadable', message: `${field}: Secret ${secret}: ${found.message}` }];
      return found ? [] : [{ reason: 'SecretMissing', message: `${field}: Secret ${secret} does not exist in namespace ${namespace}` }];
    }));
  }
  const priorityClass = cluster.spec.priorityClassName;
  if (priorityClass) {
    checks.push(find(ctx, `/apis/scheduling.k8s.io/v1/priorityclasses/${encodeURIComponent(priorityClass)}`, METADATA_ONLY).then((found) => {
      if (found instanceof Error) return [{ reason: 'PriorityClassUnreadable', message: `spec.priorityClassName: PriorityClass ${priorityClass}: ${found.message}` }];
      return found ? [] : [{ reason: 'PriorityClassMissing', message: `spec.priorityClassName: PriorityClass ${priorityClass} does not exist, so no runtime pod can be created` }];
    }));
  }
  return (await Promise.all(checks)).flat();
}
