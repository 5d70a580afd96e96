#!/usr/bin/env node
// The `ors` command: one binary for the runtime, the operator, local clusters and the
// telephony simulator. Each subcommand lives beside the code it drives and loads that
// code only when it runs, so `ors --help` stays instant.
import { Command } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { runtimeCommand } from './runtime-command.ts';
import { localCommand } from './local-command.ts';
import { simCommand } from './sim-command.ts';
import { operatorCommand } from '../../operator/cli/operator-command.ts';
import { crdCommand } from '../../operator/cli/crd-command.ts';
import { docsCommand } from './docs-command.ts';

export function buildProgram(): Command {
  const program = new Command('ors')
    .description('ORS on Kubernetes: SCXML orchestration runtime, operator and tools')
    .version(packageJson.version, '-V, --version', 'print the version')
    .showHelpAfterError()
    .enablePositionalOptions();
  for (const sub of [runtimeCommand(), operatorCommand(), localCommand(), simCommand(), crdCommand(), docsCommand()]) {
    program.addCommand(sub);
  }
  return program;
}

if (import.meta.main) {
  await buildProgram().parseAsync(process.argv);
}
