// `ors local`: a local cluster of N nodes x (primary, backup) behind HAProxy. Code is
// loaded only when the command runs.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { LOCAL_ELECTION_TIMINGS } from '../local/local-timings.ts';

/** The repository's example strategies, served by default so a fresh `ors local` can run something. */
const exampleStrategies = path.resolve(import.meta.dirname, '../../examples/strategies');

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}

export function localCommand(): Command {
  return new Command('local')
    .description('run a local cluster: N nodes x (primary, backup) runtime processes behind HAProxy')
    .option('--nodes <n>', 'number of nodes (primary/backup pairs)', positiveInt, 2)
    .option('--host <address>', 'loopback address for every listener', '127.0.0.1')
    .option('--port <port>', 'port of the HAProxy front (0: any free port)', positiveInt, 8080)
    .option('--status-port <port>', 'port of the live status page (/status, /status.json; 0: any free port) (default: the front port + 1)', positiveInt)
    .option('--data-dir <dir>', 'where leases, session stores and logs go, kept on exit (default: a new $TMPDIR/ors-local/<time>-<pid>)')
    // Why these: runtime/local/local-timings.ts.
    .option('--lease-duration <ms>', 'lease duration (a kill -9 does not wait for it: the crash is proved and the backup takes over at once)', positiveInt, LOCAL_ELECTION_TIMINGS.leaseDurationMs)
    .option('--lease-renew-deadline <ms>', 'renew deadline (< lease duration)', positiveInt, LOCAL_ELECTION_TIMINGS.renewDeadlineMs)
    .option('--lease-retry-period <ms>', 'lease retry period (< renew deadline)', positiveInt, LOCAL_ELECTION_TIMINGS.retryPeriodMs)
    .option('--restart-delay <ms>', 'how long a killed process stays down before it restarts as backup', positiveInt, 2000)
    .option('--strategies-dir <dir>', 'directory of SCXML strategies (relative src; default: examples/strategies)')
    .argument('[runtime-flags...]', 'more `ors runtime` flags for every process, after --, e.g. -- --restart-session-on-switchover true')
    .addHelpText(
      'after',
      '\nWhile it runs, type on stdin: kill <n> | freeze <n> | thaw <n> | status | quit (Ctrl-C stops everything).',
    )
    .action(async (runtimeFlags: string[], flags: Record<string, unknown>) => {
      const { runLocalCluster } = await import('../local/run-local-cluster.ts');
      process.exitCode = await runLocalCluster({
        nodes: Number(flags.nodes),
        host: String(flags.host),
        port: Number(flags.port),
        ...(flags.statusPort !== undefined ? { statusPort: Number(flags.statusPort) } : {}),
        dataDir: flags.dataDir as string | undefined,
        leaseDurationMs: Number(flags.leaseDuration),
        renewDeadlineMs: Number(flags.leaseRenewDeadline),
        retryPeriodMs: Number(flags.leaseRetryPeriod),
        restartDelayMs: Number(flags.restartDelay),
        runtimeArgs: [...strategyFlags(flags.strategiesDir as string | undefined), ...runtimeFlags],
        exampleSrc: exampleSrc(flags.strategiesDir as string | undefined),
      });
    });
}

function strategyFlags(dir: string | undefined): string[] {
  if (dir) return ['--strategies-dir', dir];
  if (!existsSync(exampleStrategies)) return [];
  return ['--strategies-dir', exampleStrategies, '--applications', 'survey=http-survey.scxml,routing=call-routing.scxml,notes=persisted-notes.scxml'];
}

/** A `src` the printed example request can start: an application of the examples, or a file of --strategies-dir (a name it does not have would answer 400). */
function exampleSrc(dir: string | undefined): string | undefined {
  if (!dir) return existsSync(exampleStrategies) ? 'survey' : undefined;
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.scxml')).sort()[0];
  } catch {
    return undefined;
  }
}
