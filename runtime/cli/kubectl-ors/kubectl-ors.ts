#!/usr/bin/env node
// `kubectl ors`: the kubectl plugin of ORS on Kubernetes (installed as `kubectl-ors`, so
// kubectl finds it on PATH). Each command is a file of this directory; what they show is
// rendered by pure views from a snapshot read through the API server, with kubectl's
// kubeconfig conventions (KUBECONFIG, --kubeconfig, --context, -n/--namespace).
import { Command } from 'commander';
import packageJson from '../../../package.json' with { type: 'json' };
import { drainCommand, undrainCommand } from './drain-command.ts';
import { reportCommand } from './report-command.ts';
import { sessionsCommand } from './sessions-command.ts';
import { statusCommand } from './status-command.ts';
import { switchoverCommand } from './switchover-command.ts';

export function buildPluginProgram(): Command {
  const program = new Command('kubectl-ors')
    .description('kubectl ors: status, switchover, drain, sessions and support bundles of OrsClusters')
    .version(packageJson.version, '-V, --version', 'print the version')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'namespace of the OrsCluster (default: the context\'s, then "default")')
    .showHelpAfterError();
  for (const sub of [statusCommand(), switchoverCommand(), drainCommand(), undrainCommand(), sessionsCommand(), reportCommand()]) program.addCommand(sub);
  return program;
}

if (import.meta.main) {
  try {
    await buildPluginProgram().parseAsync(process.argv);
  } catch (error) {
    process.stderr.write(`kubectl ors: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
