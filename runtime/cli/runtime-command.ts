// `ors runtime`: one runtime process. Every configuration option is also a flag of the
// same name (--call-watching-timeout 3000), an environment variable
// (ORS_CALL_WATCHING_TIMEOUT) and a key of the --config file; flags win over the
// environment, which wins over the file. Code is loaded only when the command runs.
import { Command } from 'commander';
import { describeOption, optionNames } from '../config/runtime-options.ts';

export function runtimeCommand(): Command {
  const command = new Command('runtime')
    .description('run one ORS runtime process (a primary or backup of one node)')
    .option('--config <file>', 'YAML or JSON file of options (same names as the flags)');
  for (const name of optionNames) {
    command.option(`--${name} <value>`, describeOption(name));
  }
  command.addHelpText(
    'after',
    '\nEvery option can also be set as ORS_<NAME> in the environment (e.g. ORS_HTTP_PORT=8080).',
  );
  return command.action(async (flags: Record<string, unknown>) => {
    const { runRuntimeFromCli } = await import('./runtime-main.ts');
    process.exitCode = await runRuntimeFromCli(flags);
  });
}
