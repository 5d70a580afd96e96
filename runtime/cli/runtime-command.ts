// `ors runtime`: one runtime process. Every configuration option is also a flag of the
// same name (--call-watching-timeout 3000), an environment variable
// (ORS_CALL_WATCHING_TIMEOUT) and a key of the --config file; flags win over the
// environment, which wins over the file.
//
// The flags come from the zod schema, and loading zod costs 0.1-0.3 s here; so the
// schema is loaded only when this subcommand runs (`ors --version` and `ors --help` stay
// fast), and the rest of the runtime only in the action.
import { Command } from 'commander';

const invoked = process.argv.slice(2).includes('runtime');
const options = invoked ? await import('../config/runtime-options.ts') : undefined;

export function runtimeCommand(): Command {
  const command = new Command('runtime')
    .description('run one ORS runtime process (a primary or backup of one node)')
    .option('--config <file>', 'YAML or JSON file of options (same names as the flags)');
  if (options) {
    const defaults: Record<string, unknown> = options.RuntimeConfigSchema.parse({});
    for (const name of options.optionNames) {
      const value = defaults[name];
      const shown =
        value === undefined || (typeof value === 'object' && Object.keys(value as object).length === 0)
          ? ''
          : ` (default: ${typeof value === 'object' ? JSON.stringify(value) : String(value)})`;
      command.option(`--${name} <value>`, `${options.describeOption(name)}${shown}`);
    }
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
