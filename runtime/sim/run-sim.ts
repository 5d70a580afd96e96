// `ors sim` behind its flags: build the configuration (file, then flags), start the
// simulator and its control API, run the load, print and export the statistics.
import { readFile, writeFile } from 'node:fs/promises';
import { pino } from 'pino';
import YAML from 'yaml';
import type { SimCommandOptions } from '../cli/sim-command.ts';
import { SimConfigSchema } from './sim-config.ts';
import type { SimConfig } from './sim-config.ts';
import { TelephonySimulator } from './telephony-simulator.ts';
import { simControlApi } from './sim-control-api.ts';
import { startLoad } from './load-generator.ts';
import { formatReport } from './sim-statistics.ts';

function pairs(values: string[], what: string): { key: string; value: string }[] {
  return values.map((v) => {
    const at = v.indexOf('=');
    if (at <= 0 || at === v.length - 1) throw new Error(`${what} "${v}": expected NAME=STRATEGY`);
    return { key: v.slice(0, at), value: v.slice(at + 1) };
  });
}

export async function buildSimConfig(options: SimCommandOptions): Promise<SimConfig> {
  const base: Record<string, unknown> = options.config ? (YAML.parse(await readFile(options.config, 'utf8')) ?? {}) : {};
  const raw: Record<string, unknown> = { ...base };
  if (options.host !== undefined) raw['host'] = options.host;
  if (options.port !== undefined) raw['port'] = options.port;
  if (options.routingPoint.length) raw['routingPoints'] = pairs(options.routingPoint, '--routing-point').map((p) => ({ dn: p.key, strategy: p.value }));
  if (options.queue.length) raw['queues'] = pairs(options.queue, '--queue').map((p) => ({ name: p.key, strategy: p.value }));
  if (options.target.length) raw['targets'] = options.target;
  if (options.leaseExpiry !== undefined) raw['leaseExpiry'] = { enabled: true, leaseMs: options.leaseExpiry };
  const loadFlags = { ratePerSecond: options.rate, calls: options.calls, durationMs: options.duration, meanPatienceMs: options.patience, meanTalkMs: options.talk, seed: options.seed };
  if (Object.values(loadFlags).some((v) => v !== undefined)) {
    const defined = Object.fromEntries(Object.entries(loadFlags).filter(([, v]) => v !== undefined));
    raw['load'] = { ...((base['load'] as object | undefined) ?? {}), ...defined };
  }
  if (options.interactions !== undefined) raw['interactions'] = { ...((base['interactions'] as object | undefined) ?? {}), count: options.interactions };
  const parsed = SimConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid simulator configuration: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export async function runSim(options: SimCommandOptions): Promise<number> {
  let config: SimConfig;
  try {
    config = await buildSimConfig(options);
  } catch (err) {
    process.stderr.write(`ors sim: ${(err as Error).message}\n`);
    return 2;
  }
  const log = pino({ name: 'ors-sim', level: options.logLevel }, pino.destination(2));
  const sim = new TelephonySimulator(config, log);
  const routingPoints = config.routingPoints.map((rp) => rp.dn);
  sim.handleHttp(simControlApi(sim, routingPoints));
  const { url, httpUrl } = await sim.listen();
  process.stdout.write(`ors sim: listening on ${url} (control API ${httpUrl})\n`);

  const finish = async (): Promise<void> => {
    const report = sim.report();
    process.stdout.write(`${formatReport(report)}\n`);
    if (options.statsFile) await writeFile(options.statsFile, `${JSON.stringify(report, null, 2)}\n`);
    if (options.pullLog) await writeFile(options.pullLog, sim.pullLog.map((e) => JSON.stringify(e)).join('\n') + (sim.pullLog.length ? '\n' : ''));
    await sim.close();
  };

  const interactionQueues = config.interactions?.queues ?? sim.queueNames();
  if (config.interactions && config.interactions.count > 0) {
    if (interactionQueues.length === 0) {
      process.stderr.write('ors sim: --interactions needs at least one --queue\n');
      await sim.close();
      return 2;
    }
    for (let i = 0; i < config.interactions.count; i++) sim.enqueueInteractions(interactionQueues[i % interactionQueues.length]!, 1);
  }

  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

  if (options.waitFor) {
    const enough = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (sim.connectedProcesses().length >= options.waitFor!) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
    });
    await Promise.race([enough, stopped]);
  }

  let loadDone: Promise<void> = Promise.resolve();
  if (config.load) {
    if (routingPoints.length === 0) {
      process.stderr.write('ors sim: a load needs at least one --routing-point\n');
      await sim.close();
      return 2;
    }
    const run = startLoad(sim, config.load, config.load.routingPoints ?? routingPoints);
    log.info({ planned: run.planned }, 'load started');
    loadDone = run.done;
    void stopped.then(() => run.stop());
  }

  if (options.exitWhenDone) {
    const interactionsDone = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const c = sim.report().interactions;
        if (c.waiting === 0 && c.inProgress === 0) {
          clearInterval(poll);
          resolve();
        }
      }, 100);
      void stopped.then(() => {
        clearInterval(poll);
        resolve();
      });
    });
    await Promise.race([Promise.all([loadDone, interactionsDone]), stopped]);
  } else {
    await stopped;
  }
  await finish();
  return 0;
}
