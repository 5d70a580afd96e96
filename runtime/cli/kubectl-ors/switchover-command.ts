// `kubectl ors switchover <cluster> <node>`: asks the operator for a switchover the way
// the operator takes it (a new value of the ors.dev/switchover annotation, "<node>/<suffix>"),
// then follows the cluster until the node has a new Ready primary, the operator rejects the
// request, or the timeout passes, and says which.
import { Command } from 'commander';
import { SWITCHOVER_REQUEST_ANNOTATION } from '../../../operator/api/pod-contract.ts';
import { orsClusterPath, readClusterSnapshot } from './cluster-snapshot.ts';
import { connect, type KubeTargetOptions } from './kube-context.ts';
import { switchoverOutcome, switchoverRefusal, type SwitchoverRequest } from './switchover-outcome.ts';

export function switchoverCommand(): Command {
  return new Command('switchover')
    .description('switch a node\'s primary over to its synced backup and wait for the outcome')
    .argument('<cluster>', 'OrsCluster name')
    .argument('<node>', 'node index (0, 1, ...)')
    .option('--timeout <seconds>', 'how long to wait for the new primary', '120')
    .action(async (cluster: string, nodeArgument: string, options: { timeout: string }, command: Command) => {
      const { client, namespace } = connect(command.optsWithGlobals<KubeTargetOptions>());
      try {
        const node = /^\d+$/.test(nodeArgument) ? Number(nodeArgument) : Number.NaN;
        const before = await readClusterSnapshot(client, namespace, cluster, { metrics: false });
        const refusal = switchoverRefusal(before, node);
        if (refusal) throw new Error(refusal);
        const requestedAt = new Date().toISOString();
        const request: SwitchoverRequest = {
          node,
          value: `${node}/kubectl-ors-${requestedAt}`,
          previousPrimary: before.nodes.find((n) => n.id === node)?.primary,
          requestedAt,
        };
        await client.mergePatch(orsClusterPath(namespace, cluster), { metadata: { annotations: { [SWITCHOVER_REQUEST_ANNOTATION]: request.value } } }, 'kubectl-ors');
        process.stdout.write(`switchover of ${cluster} node ${node} requested (primary ${request.previousPrimary ?? 'none'})\n`);
        const deadline = Date.now() + Number(options.timeout) * 1000;
        let said = '';
        for (;;) {
          const outcome = switchoverOutcome(request, await readClusterSnapshot(client, namespace, cluster, { metrics: false }));
          if (outcome.kind === 'done') {
            process.stdout.write(`switchover of ${cluster} node ${node} done: new primary ${outcome.newPrimary} (was ${request.previousPrimary ?? 'none'}) in ${outcome.seconds.toFixed(1)} s\n`);
            return;
          }
          if (outcome.kind === 'failed') throw new Error(`switchover of ${cluster} node ${node} failed: ${outcome.why}`);
          if (outcome.why !== said) process.stdout.write(`  ${(said = outcome.why)}\n`);
          if (Date.now() > deadline) throw new Error(`switchover of ${cluster} node ${node} did not complete within ${options.timeout} s: ${outcome.why}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      } finally {
        client.close();
      }
    });
}
