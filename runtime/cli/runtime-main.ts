// What `ors runtime` does once its flags are parsed: resolve the configuration (exit 2
// with the offending option on error), start, and stop gracefully on SIGTERM/SIGINT.
import { ConfigError, optionsFromEnv, readConfigFile, resolveConfig } from '../config/load-config.ts';
import { optionNames } from '../config/runtime-options.ts';
import { startRuntime } from '../runtime-process.ts';
import { createScxmlEngine } from '../sessions/scxml-engine.ts';
import { TelephonyActions } from '../telephony/telephony-actions.ts';
import { telephonyExtensions } from '../telephony/dialog-extensions.ts';

/** commander camel-cases flag names; the configuration keeps the ORS kebab-case ones. */
function kebabFlags(flags: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of optionNames) {
    const camel = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (flags[camel] !== undefined) out[name] = flags[camel];
  }
  return out;
}

export async function runRuntimeFromCli(flags: Record<string, unknown>): Promise<number> {
  let config;
  try {
    // In a pod the operator names the config file (its options ConfigMap) in ORS_OPTIONS_FILE.
    const configFile = typeof flags.config === 'string' ? flags.config : process.env.ORS_OPTIONS_FILE;
    const file = configFile ? await readConfigFile(configFile) : undefined;
    config = resolveConfig({ file, env: optionsFromEnv(process.env), flags: kebabFlags(flags) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ors runtime: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const telephony = new TelephonyActions();
  const engine = createScxmlEngine({ extensions: telephonyExtensions(telephony) });
  let runtime;
  try {
    runtime = await startRuntime({ config, engine, telephony });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      const { address, port } = error as { address?: string; port?: number };
      process.stderr.write(`ors runtime: ${address ?? config['http-host']}:${port ?? ''} is already in use (another process listens there)\n`);
      return 2;
    }
    if (error instanceof Error && (error.name === 'HaConfigError' || error.name === 'AccessConfigError' || /sync key/.test(error.message))) {
      process.stderr.write(`ors runtime: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  process.stdout.write(`ors runtime: node ${config['node-id']} listening on ${runtime.url}\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.stderr.write(`ors runtime: ${signal}: shutting down\n`);
      runtime.stop().then(resolve, (error: unknown) => {
        process.stderr.write(`ors runtime: shutdown failed: ${String(error)}\n`);
        resolve();
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  if (runtime.host.stuckThreads > 0) {
    // An engine thread stuck in a V8 built-in ignores terminate() and would keep the
    // process from ever exiting; the graceful part (hand-over, lease release) is done.
    process.stderr.write(`ors runtime: ${runtime.host.stuckThreads} engine thread(s) cannot be stopped: exiting with SIGKILL\n`);
    process.kill(process.pid, 'SIGKILL');
  }
  return 0;
}
