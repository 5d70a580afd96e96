// `kubectl ors drain|undrain <cluster> <node>`: lists the node in (or removes it from) the
// OrsCluster's ors.dev/drained-nodes annotation, then waits for the operator to set (or
// clear) the drain on the node's Lease, which the node's primary follows: while drained
// it answers session starts with 503 `draining` and its running sessions go on.
import { Command } from 'commander';
import type { V1Lease } from '@kubernetes/client-node';
import { ACTIVE_SESSIONS_ANNOTATION, DRAIN_ANNOTATION, DRAINED_NODES_ANNOTATION } from '../../../operator/api/pod-contract.ts';
import { orsClusterPath, readOrsCluster } from './cluster-snapshot.ts';
import { drainedNodesValue } from './drained-nodes.ts';
import { connect, type KubeTargetOptions } from './kube-context.ts';

function drainCommandFor(drained: boolean): Command {
  const verb = drained ? 'drain' : 'undrain';
  return new Command(verb)
    .description(drained ? 'stop a node taking new sessions (503 draining); its running sessions go on' : 'let a drained node take new sessions again')
    .argument('<cluster>', 'OrsCluster name')
    .argument('<node>', 'node index (0, 1, ...)')
    .option('--timeout <seconds>', 'how long to wait for the operator to pass it on to the node', '60')
    .action(async (cluster: string, nodeArgument: string, options: { timeout: string }, command: Command) => {
      const { client, namespace } = connect(command.optsWithGlobals<KubeTargetOptions>());
      try {
        if (!/^\d+$/.test(nodeArgument)) throw new Error(`node must be a node index (0, 1, ...), got ${nodeArgument}`);
        const node = Number(nodeArgument);
        const current = await readOrsCluster(client, namespace, cluster);
        const nodes = current.spec?.nodes ?? 0;
        if (node >= nodes) throw new Error(`OrsCluster ${cluster} has no node ${node} (it has ${nodes})`);
        const value = drainedNodesValue(current.metadata?.annotations?.[DRAINED_NODES_ANNOTATION], node, drained);
        // resourceVersion: a concurrent edit of the list fails this patch (409) instead of being lost.
        await client.mergePatch(orsClusterPath(namespace, cluster), { metadata: { resourceVersion: current.metadata!.resourceVersion, annotations: { [DRAINED_NODES_ANNOTATION]: value } } }, 'kubectl-ors');
        const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(`${cluster}-node-${node}`)}`;
        const deadline = Date.now() + Number(options.timeout) * 1000;
        for (;;) {
          const lease = await client.find<V1Lease>(leasePath);
          const annotations = lease?.metadata?.annotations ?? {};
          if (Boolean(annotations[DRAIN_ANNOTATION]) === drained) {
            const running = annotations[ACTIVE_SESSIONS_ANNOTATION];
            process.stdout.write(
              drained
                ? `node ${node} of ${cluster} drained: its primary ${lease?.spec?.holderIdentity ?? '(none)'} takes no new sessions${running !== undefined ? ` (${running} still running)` : ''}\n`
                : `node ${node} of ${cluster} undrained: it takes new sessions again\n`,
            );
            return;
          }
          if (Date.now() > deadline) throw new Error(`${verb} of ${cluster} node ${node}: the operator did not pass it to the node's Lease within ${options.timeout} s (is the operator running?)`);
          await new Promise((r) => setTimeout(r, 500));
        }
      } finally {
        client.close();
      }
    });
}

export const drainCommand = () => drainCommandFor(true);
export const undrainCommand = () => drainCommandFor(false);
