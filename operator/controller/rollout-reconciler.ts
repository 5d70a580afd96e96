// Carries out rollout and switchover decisions: replace a pod (the StatefulSet, OnDelete,
// recreates it from the new template), ask a primary to step down through its Lease,
// and clear that request once the holder changed.
import type { V1Lease } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { STEP_DOWN_ANNOTATION, SYNC_STATE_ANNOTATION } from '../api/pod-contract.ts';
import { leaseName } from '../builders/names.ts';
import type { Action } from '../planning/actions.ts';
import { annotateLease } from './lease-annotations.ts';
import { pathOf } from './resource-paths.ts';
import { eventTarget, type ReconcileContext } from './reconcile-context.ts';

type RolloutAction = Extract<Action, { type: 'delete-pod' | 'request-switchover' | 'clear-step-down' }>;

export function isRolloutAction(a: Action): a is RolloutAction {
  return a.type === 'delete-pod' || a.type === 'request-switchover' || a.type === 'clear-step-down';
}

export async function carryOutRolloutAction(ctx: ReconcileContext, cluster: OrsCluster, action: RolloutAction): Promise<void> {
  const target = eventTarget(cluster);
  const { namespace, name } = cluster.metadata;
  switch (action.type) {
    case 'delete-pod': {
      await ctx.client.delete(pathOf('v1', 'Pod', namespace, action.pod));
      // The sync report is about the pod just deleted; its successor must write its own.
      await annotateLease(ctx, cluster, action.node, { [SYNC_STATE_ANNOTATION]: null }).catch(() => undefined);
      ctx.metrics.podReplacements.inc();
      ctx.log.info({ cluster: name, node: action.node, pod: action.pod, reason: action.reason }, 'replacing pod');
      await ctx.events.record(target, 'Normal', action.reason, `node ${action.node}: replacing pod ${action.pod} with the new template`);
      return;
    }
    case 'request-switchover': {
      await annotateLease(ctx, cluster, action.node, { [STEP_DOWN_ANNOTATION]: action.primary });
      ctx.metrics.switchovers.inc({ reason: action.reason });
      ctx.log.info({ cluster: name, node: action.node, primary: action.primary, reason: action.reason }, 'switchover requested');
      await ctx.events.record(target, 'Normal', 'SwitchoverRequested', `node ${action.node}: asked ${action.primary} to step down (${action.reason.toLowerCase()})`);
      return;
    }
    case 'clear-step-down': {
      const lease = ctx.informers.get<V1Lease>('Lease', leaseName(name, action.node), namespace);
      await annotateLease(ctx, cluster, action.node, { [STEP_DOWN_ANNOTATION]: null });
      const holder = lease?.spec?.holderIdentity;
      await ctx.events.record(target, 'Normal', 'SwitchedOver', `node ${action.node}: primary is now ${holder ?? 'being elected'}`);
      return;
    }
  }
}
