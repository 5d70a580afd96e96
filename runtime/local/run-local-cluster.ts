// What `ors local` does once its flags are parsed: install/find HAProxy, start the
// cluster, print where everything is, take commands on stdin, stop cleanly on Ctrl-C.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { CONTROL_HELP, parseControlCommand } from './control-commands.ts';
import { defaultLocalDataDir } from './data-dir.ts';
import { ensureHaproxy } from './haproxy-binary.ts';
import { assertPortFree, LocalCluster, type LocalClusterOptions } from './local-cluster.ts';
import { LocalStatusSource } from './local-status-source.ts';
import { startStatusServer } from '../../operator/status-page/status-routes.ts';

export interface RunLocalClusterOptions extends Omit<LocalClusterOptions, 'haproxyBinary' | 'log'> {
  /** A `src` the printed example request starts (none printed without one). */
  exampleSrc?: string;
  /** Port of the status page (/status); undefined: the front's port + 1 (any free port when the front's is 0). */
  statusPort?: number;
}

export async function runLocalCluster({ exampleSrc, statusPort: askedStatusPort, ...options }: RunLocalClusterOptions): Promise<number> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const fail = (line: string) => process.stderr.write(`ors local: ${line}\n`);
  if (options.nodes < 1) {
    fail('--nodes must be at least 1');
    return 2;
  }
  if (!(options.leaseDurationMs > options.renewDeadlineMs && options.renewDeadlineMs > options.retryPeriodMs)) {
    fail('need lease-duration > lease-renew-deadline > lease-retry-period');
    return 2;
  }
  // Always a directory of our own that outlives the run: its logs/ is where to look afterwards.
  const dataDir = path.resolve(options.dataDir ?? defaultLocalDataDir(new Date(), process.pid));
  const logsDir = path.join(dataDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const say = (line: string) => print(`[ors local] ${line}`);
  say(`data and logs: ${dataDir} (kept on exit)`);
  let haproxyBinary: string;
  try {
    haproxyBinary = ensureHaproxy(say, path.join(logsDir, 'apt-haproxy.log'));
  } catch (error) {
    fail((error as Error).message);
    return 1;
  }
  const statusPort = askedStatusPort ?? (options.port === 0 ? 0 : options.port + 1);
  // Checked before anything starts, so a taken status port costs no cluster start.
  try {
    if (statusPort !== 0) await assertPortFree(options.host, statusPort, 'the status page (--status-port)');
  } catch (error) {
    fail((error as Error).message);
    return 1;
  }
  const cluster = new LocalCluster({
    ...options,
    dataDir,
    haproxyBinary,
    log: (line) => {
      // The cluster logs only once started, after `status` below exists.
      status.noteLog(line);
      say(line);
    },
  });
  const status = new LocalStatusSource(cluster);
  let statusServer: Awaited<ReturnType<typeof startStatusServer>> | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      status.stop();
      statusServer?.server.close();
      await cluster.stop();
    })());
  const onSignal = () => {
    print('\n[ors local] stopping...');
    void stop().then(() => {
      print(`[ors local] stopped; logs kept in ${logsDir}`);
      process.exit(0);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await cluster.start();
  } catch (error) {
    fail(`could not start: ${(error as Error).message}`);
    await stop();
    fail(`logs kept in ${logsDir}`);
    return 1;
  }
  try {
    statusServer = await startStatusServer(options.host, statusPort, status);
  } catch (error) {
    fail(`could not start the status page: ${(error as Error).message}`);
    await stop();
    fail(`logs kept in ${logsDir}`);
    return 1;
  }
  status.start();
  print(`ORS local cluster ready: ${options.nodes} node(s) x (primary, backup)`);
  print(`  front (HAProxy): ${cluster.frontUrl}`);
  print(`  status page: http://${options.host}:${statusServer.port}/status`);
  if (exampleSrc) print(`  try: curl -i ${cluster.frontUrl}/scxml/session/start -d src=${exampleSrc}   (examples/strategies/README.md)`);
  print(await cluster.status());
  print(`  logs: ${logsDir} (one file per process, haproxy.log; kept on exit)`);
  print(CONTROL_HELP);

  const input = readline.createInterface({ input: process.stdin, terminal: false });
  input.on('line', (line) => {
    const command = parseControlCommand(line, options.nodes);
    if (!command) return;
    void (async () => {
      switch (command.kind) {
        case 'error':
          print(command.message);
          break;
        case 'help':
          print(CONTROL_HELP);
          break;
        case 'status':
          print(await cluster.status());
          break;
        case 'kill':
          print(await cluster.kill(command.node));
          break;
        case 'freeze':
          print(await cluster.freeze(command.node));
          break;
        case 'thaw':
          print(cluster.thaw(command.node));
          break;
        case 'quit':
          onSignal();
          break;
      }
    })();
  });
  await new Promise<void>(() => {
    // Runs until a signal or `quit` ends the process.
  });
  return 0;
}
