// `kubectl ors status [cluster]`: the status view of one cluster, or of every OrsCluster
// in the namespace. Colour only when stdout is a terminal (and NO_COLOR is unset).
import { Command } from 'commander';
import { listOrsClusters, readClusterSnapshot } from './cluster-snapshot.ts';
import { connect, type KubeTargetOptions } from './kube-context.ts';
import { renderStatus } from './status-view.ts';

export function statusCommand(): Command {
  return new Command('status')
    .description('nodes, primary/backup pods, sync, sessions, failsafe, last switchover, conditions and recent events')
    .argument('[cluster]', 'OrsCluster name (all in the namespace when omitted)')
    .option('--events <count>', 'how many recent events to show', '10')
    .action(async (cluster: string | undefined, options: { events: string }, command: Command) => {
      const { client, namespace } = connect(command.optsWithGlobals<KubeTargetOptions>());
      try {
        const names = cluster ? [cluster] : await listOrsClusters(client, namespace);
        if (names.length === 0) process.stdout.write(`no OrsClusters in namespace ${namespace}\n`);
        const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
        const views: string[] = [];
        for (const name of names) views.push(renderStatus(await readClusterSnapshot(client, namespace, name), { colour, events: Number(options.events) }));
        process.stdout.write(views.join('\n'));
      } finally {
        client.close();
      }
    });
}
