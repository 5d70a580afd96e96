import { Command, InvalidArgumentError, Option } from 'commander';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};
const positive = (value: string): number => {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number');
  return n;
};

export interface SimCommandOptions {
  config?: string;
  host?: string;
  port?: number;
  routingPoint: string[];
  queue: string[];
  target: string[];
  rate?: number;
  calls?: number;
  duration?: number;
  patience?: number;
  talk?: number;
  seed?: number;
  interactions?: number;
  leaseExpiry?: number;
  waitFor?: number;
  statsFile?: string;
  pullLog?: string;
  exitWhenDone?: boolean;
  logLevel: string;
}

export function simCommand(): Command {
  return new Command('sim')
    .description(
      'run the telephony and interaction-server simulator and load generator: runtimes connect over ' +
        'WebSocket (runtime/telephony/PROTOCOL.md); an HTTP control API on the same port offers calls, ' +
        'fills queues and serves /stats and /pull-log',
    )
    .option('-c, --config <file>', 'YAML or JSON configuration (flags override it)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', integer)
    .option('--routing-point <dn=strategy>', 'a routing point and the strategy for its calls (repeatable)', collect, [])
    .option('--queue <name=strategy>', 'an interaction queue and the strategy serving it (repeatable)', collect, [])
    .option('--target <dn>', 'a routing target that accepts calls (repeatable; none: every target accepts)', collect, [])
    .option('--rate <calls/s>', 'call arrival rate (Poisson)', positive)
    .option('--calls <n>', 'offer this many calls, then stop', integer)
    .option('--duration <ms>', 'generate calls for this long, then stop', integer)
    .option('--patience <ms>', 'mean caller patience before abandoning', positive)
    .option('--talk <ms>', 'mean talk time after a call is answered', positive)
    .option('--seed <n>', 'random seed (same seed, same load)', integer)
    .option('--interactions <n>', 'interactions to put into the queues at start (round-robin)', integer)
    .option('--lease-expiry <ms>', 'return an interaction to its queue when its lease is not renewed for this long (default: never, as ORS)', integer)
    .option('--wait-for <n>', 'start the load only when this many runtime processes are connected', integer)
    .option('--stats-file <file>', 'write the statistics as JSON here on exit')
    .option('--pull-log <file>', 'write the log of every pull (who pulled what) as JSON lines here on exit')
    .option('--exit-when-done', 'exit once the load has ended and every interaction is completed')
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(['debug', 'info', 'warn', 'error', 'silent']).default('info'))
    .action(async (options: SimCommandOptions) => {
      const { runSim } = await import('../sim/run-sim.ts');
      process.exitCode = await runSim(options);
    });
}
