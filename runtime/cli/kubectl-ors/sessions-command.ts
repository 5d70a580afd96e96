// `kubectl ors sessions <cluster>`: session counts per node, pod and state, read from each
// runtime's /metrics through the API server's pod proxy.
import { Command } from 'commander';
import { readClusterSnapshot } from './cluster-snapshot.ts';
import { connect, type KubeTargetOptions } from './kube-context.ts';
import { renderSessions } from './sessions-view.ts';

export function sessionsCommand(): Command {
  return new Command('sessions')
    .description('session counts per node and state (live, created, finished by reason), from the runtimes\' metrics')
    .argument('<cluster>', 'OrsCluster name')
    .action(async (cluster: string, _options: unknown, command: Command) => {
      const { client, namespace } = connect(command.optsWithGlobals<KubeTargetOptions>());
      try {
        process.stdout.write(renderSessions(await readClusterSnapshot(client, namespace, cluster)));
      } finally {
        client.close();
      }
    });
}
