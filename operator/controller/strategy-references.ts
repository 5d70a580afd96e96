// What only the controller can see: a strategy ConfigMap named in spec.strategies that
// does not exist (or lacks the key) would leave the pods stuck creating their volume;
// it becomes a Degraded condition naming the ConfigMap instead.
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import type { Problem } from '../planning/status-report.ts';
import { pathOf } from './resource-paths.ts';
import { errorMessage, type ReconcileContext } from './reconcile-context.ts';

export async function checkStrategyReferences(ctx: ReconcileContext, cluster: OrsCluster): Promise<Problem[]> {
  const refs = cluster.spec.strategies.flatMap((s) => (s.configMap ? [{ strategy: s.name, ...s.configMap }] : []));
  const byName = new Map<string, V1ConfigMap | undefined | Error>();
  await Promise.all(
    [...new Set(refs.map((r) => r.name))].map(async (name) => {
      try {
        byName.set(name, await ctx.client.find<V1ConfigMap>(pathOf('v1', 'ConfigMap', cluster.metadata.namespace, name)));
      } catch (error) {
        byName.set(name, new Error(errorMessage(error)));
      }
    }),
  );
  const problems: Problem[] = [];
  for (const ref of refs) {
    const cm = byName.get(ref.name);
    if (cm instanceof Error) problems.push({ reason: 'StrategyConfigMapUnreadable', message: `strategy ${ref.strategy}: ConfigMap ${ref.name}: ${cm.message}` });
    else if (!cm) problems.push({ reason: 'StrategyConfigMapMissing', message: `strategy ${ref.strategy}: ConfigMap ${ref.name} does not exist` });
    else if (cm.data?.[ref.key] === undefined && cm.binaryData?.[ref.key] === undefined) {
      problems.push({ reason: 'StrategyConfigMapMissing', message: `strategy ${ref.strategy}: ConfigMap ${ref.name} has no key ${ref.key}` });
    }
  }
  return problems;
}
