// The chart's alert rules (charts/ors-operator/rules/ors-alerts.yaml, wrapped unchanged
// by the PrometheusRule template) with the real promtool: the file passes `check rules`;
// the unit tests of each group (rules/tests/*.yaml) pass, test every alert both firing and
// silent, and fail when a rule is broken; and the rules, evaluated on the /metrics of a
// real `ors runtime` pair — healthy, then after a kill -9 of the primary with its sessions
// near max-sessions; a process kept from its lease by an unreachable holder; a single
// runtime whose strategy loops until the watchdog ends it —
// raise exactly the alerts each state calls for. That part is what proves the rules (and
// the dashboard) use the names the runtime really exports.
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { FileLeaseLock } from '../../../runtime/ha/leader-election/file-lease-lock.ts';
import { promtool } from '../../infra/promtool.ts';
import { HaPair, type HaProcess } from '../../support/ha-pair.ts';
import { metricNamesIn, parseExposition, promtoolInputSeries, type Sample } from '../../support/prometheus-series.ts';
import { spawnOrs, type OrsProcess } from '../../support/ors-processes.ts';
import { strategyDir } from '../../support/runtime-harness.ts';
import { waitUntil } from '../../infra/wait-until.ts';

const chart = path.resolve(import.meta.dirname, '../../../charts/ors-operator');
const rulesFile = path.join(chart, 'rules/ors-alerts.yaml');
const testsDir = path.join(chart, 'rules/tests');

interface RuleFile { groups: { name: string; rules: { alert: string; expr: string; for?: string }[] }[] }
interface AlertTest { eval_time: string; alertname: string; exp_alerts: { exp_labels: Record<string, string>; exp_annotations?: Record<string, string> }[] }
interface TestFile { rule_files: string[]; tests: { name?: string; interval: string; input_series: unknown[]; alert_rule_test: AlertTest[] }[] }

let rules: RuleFile;
let scratch: string;
beforeAll(async () => {
  rules = parse(await readFile(rulesFile, 'utf8')) as RuleFile;
  scratch = await mkdtemp(path.join(os.tmpdir(), 'ors-alert-rules-'));
});
const alertNames = () => rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
const testFiles = async () => (await readdir(testsDir)).filter((f) => f.endsWith('.test.yaml')).map((f) => path.join(testsDir, f));

/** Runs `promtool test rules` on a test file against `ruleFile` (by default the chart's). */
async function promtoolTest(test: TestFile, name: string, ruleFile = rulesFile) {
  const file = path.join(scratch, name);
  await writeFile(file, stringify({ ...test, rule_files: [ruleFile] }));
  return promtool(['test', 'rules', file]);
}

/** The metric names the rules use. */
const ruleMetrics = () => new Set(rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNamesIn(r.expr))));

/**
 * Evaluates every alert on scrapes held for some minutes each (promtoolInputSeries): at
 * each eval time, exactly the alerts of `firing` fire, the others stay silent.
 */
async function evaluateOnScrapes(name: string, phases: { minutes: number; samples: Sample[] }[], checks: { at: string; firing: Record<string, AlertTest['exp_alerts'][number]> }[]) {
  const used = ruleMetrics();
  const input_series = promtoolInputSeries(phases, (metric) => used.has(metric));
  const alert_rule_test: AlertTest[] = checks.flatMap(({ at, firing }) =>
    alertNames().map((alertname) => ({ eval_time: at, alertname, exp_alerts: firing[alertname] ? [firing[alertname]] : [] })),
  );
  const test: TestFile = { rule_files: [], tests: [{ name, interval: '1m', input_series, alert_rule_test }] };
  const result = await promtoolTest(test, `${name.replace(/\W+/g, '-')}.test.yaml`);
  expect(result.code, `${result.stdout}${result.stderr}\n${stringify(input_series)}`).toBe(0);
  expect(result.stdout).toContain('SUCCESS');
}

describe('the rule file', () => {
  it('passes promtool check rules', async () => {
    const result = await promtool(['check', 'rules', rulesFile]);
    expect(result.stderr + result.stdout).toContain(`SUCCESS: ${alertNames().length} rules found`);
    expect(result.code).toBe(0);
    expect(alertNames()).toEqual(['OrsNodeWithoutPrimary', 'OrsBackupNotSynced', 'OrsFrequentFailovers', 'OrsSyncLagHigh', 'OrsRecoveryErrors', 'OrsWatchdogTerminations', 'OrsSessionsNearMax']);
  });
});

describe('promtool unit tests of every alert (rules/tests)', () => {
  it('pass, one file per group, and test each alert firing and silent', async () => {
    const files = await testFiles();
    expect(files.map((f) => path.basename(f)).sort()).toEqual(rules.groups.map((g) => `${g.name}.test.yaml`).sort());
    const fires = new Set<string>();
    const silent = new Set<string>();
    for (const file of files) {
      const result = await promtool(['test', 'rules', file], { cwd: testsDir });
      expect(result.code, `${path.basename(file)}:\n${result.stdout}${result.stderr}`).toBe(0);
      for (const test of (parse(await readFile(file, 'utf8')) as TestFile).tests) {
        for (const check of test.alert_rule_test) (check.exp_alerts.length > 0 ? fires : silent).add(check.alertname);
      }
    }
    expect([...fires].sort()).toEqual([...alertNames()].sort());
    expect([...silent].sort()).toEqual([...alertNames()].sort());
  });

  it('fail when an alert never fires or fires without its condition', async () => {
    const source = await readFile(rulesFile, 'utf8');
    const tests = await Promise.all((await testFiles()).map(async (f) => parse(await readFile(f, 'utf8')) as TestFile));
    for (const group of rules.groups) {
      for (const rule of group.rules) {
        const condition = /\s*(==|>|<)\s*[0-9.]+$/;
        expect(rule.expr, rule.alert).toMatch(condition);
        const mutants = {
          never: `(${rule.expr}) and on() absent(vector(1))`,
          always: rule.expr.replace(condition, ''),
        };
        for (const [kind, expr] of Object.entries(mutants)) {
          const mutated = source.replace(`expr: ${rule.expr}\n`, `expr: ${JSON.stringify(expr)}\n`);
          expect(mutated, rule.alert).not.toBe(source);
          const mutantFile = path.join(scratch, `${rule.alert}-${kind}.rules.yaml`);
          await writeFile(mutantFile, mutated);
          const results = await Promise.all(tests.map((test, i) => promtoolTest(test, `${rule.alert}-${kind}-${i}.test.yaml`, mutantFile)));
          expect(results.some((r) => r.code !== 0), `${rule.alert} ${kind}: the tests should fail`).toBe(true);
          expect(results.map((r) => r.stdout + r.stderr).join(''), `${rule.alert} ${kind}`).toContain(`alertname: ${rule.alert}`);
        }
      }
    }
  });
});

describe('on the metrics of a real ors runtime pair', () => {
  const target = { namespace: 'ors-test', ors_cluster: 'pair' };
  let pair: HaPair;
  let healthy: Sample[];
  let afterFailover: Sample[];
  let exported: Set<string>;

  /** /metrics of a process with the labels the chart's PodMonitor adds (namespace, pod, ors_cluster). */
  async function scrape(proc: HaProcess): Promise<Sample[]> {
    const response = await fetch(`${proc.url}/metrics`);
    expect(response.status).toBe(200);
    return parseExposition(await response.text()).map((s) => ({ ...s, labels: { ...s.labels, ...target, pod: proc.name } }));
  }
  const value = (samples: Sample[], name: string, pod: string) => samples.find((s) => s.name === name && s.labels.pod === pod)?.value;

  async function startSession(base: string): Promise<void> {
    const response = await fetch(`${base}/scxml/session/start`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ src: 'call.json' }).toString(),
    });
    expect(response.status, await response.text()).toBe(200);
  }

  beforeAll(async () => {
    pair = await HaPair.create(await strategyDir({ 'call.json': JSON.stringify({ initial: 'talking', transitions: { talking: { hangup: 'final' } } }) }), {
      leaseMs: 1500, renewMs: 1000, retryMs: 150, extra: { 'max-sessions': 2 },
    });
    const a = await pair.start('ors-0-a');
    expect(await pair.primary()).toBe(a);
    const b = await pair.start('ors-0-b');
    // Healthy: a is primary, b its synced backup (as both see it).
    healthy = await waitUntil(async () => {
      const samples = [...(await scrape(a)), ...(await scrape(b))];
      return value(samples, 'ors_ha_backup_synced', 'ors-0-a') === 1 && value(samples, 'ors_ha_backup_synced', 'ors-0-b') === 1 ? samples : undefined;
    }, { what: 'the backup to sync with its primary', timeoutMs: 30_000 });
    // kill -9 of the primary: b takes over and has no backup; then its sessions reach max-sessions.
    a.signal('SIGKILL');
    await a.exit();
    expect(await pair.primary(30_000)).toBe(b);
    await startSession(b.url);
    await startSession(b.url);
    afterFailover = await waitUntil(async () => {
      const samples = await scrape(b);
      return value(samples, 'ors_ha_primary', 'ors-0-b') === 1 && value(samples, 'ors_active_sessions', 'ors-0-b') === 2 ? samples : undefined;
    }, { what: 'the new primary to report itself and its sessions', timeoutMs: 30_000 });
    exported = new Set([...healthy, ...afterFailover].map((s) => s.name));
  }, 90_000);
  afterAll(async () => {
    await pair?.close();
  });

  it('reports what the alerts read: roles, synced backup, promotions, sessions and their limit', () => {
    expect([value(healthy, 'ors_ha_primary', 'ors-0-a'), value(healthy, 'ors_ha_primary', 'ors-0-b')]).toEqual([1, 0]);
    expect(value(healthy, 'ors_ha_promotions_total', 'ors-0-a')).toBe(1);
    expect(value(healthy, 'ors_max_sessions', 'ors-0-a')).toBe(2);
    expect(value(afterFailover, 'ors_ha_backup_synced', 'ors-0-b')).toBe(0);
    expect(value(afterFailover, 'ors_ha_promotions_total', 'ors-0-b')).toBe(1);
    expect(value(afterFailover, 'ors_ha_sync_lag_seconds', 'ors-0-b')).toBe(0);
  });

  it('every metric the alerts and the dashboard use is one the runtime exports', async () => {
    const used = ruleMetrics();
    const dashboard = JSON.parse(await readFile(path.join(chart, 'dashboards/ors.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[]; templating: { list: { query?: unknown }[] } };
    for (const panel of dashboard.panels) for (const t of panel.targets) for (const name of metricNamesIn(t.expr)) used.add(name);
    for (const variable of dashboard.templating.list) if (typeof variable.query === 'object') for (const name of metricNamesIn(JSON.stringify(variable.query))) used.add(name);
    expect(used.size).toBeGreaterThan(8);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    expect([...exported].filter((name) => /^ors_(ors|process_process|nodejs_nodejs)_/.test(name))).toEqual([]);
  });

  it('healthy: every alert stays silent; a failover that leaves no backup, with sessions at max-sessions: exactly OrsBackupNotSynced and OrsSessionsNearMax fire', async () => {
    const labels = { ...target, node: 'node-0' };
    const where = `node-0 of ${target.namespace}/${target.ors_cluster}`;
    const firing: Record<string, AlertTest['exp_alerts'][number]> = {
      OrsBackupNotSynced: {
        exp_labels: { severity: 'warning', ...labels },
        exp_annotations: {
          summary: `ORS node ${where} has no synced backup`,
          description: 'The node\'s backup has not held the primary\'s state for two minutes; a failover now would lose the sessions that are not persisted.',
        },
      },
      OrsSessionsNearMax: {
        exp_labels: { severity: 'warning', ...labels },
        exp_annotations: {
          summary: `ORS node ${where} runs 100% of max-sessions`,
          description: 'Above 90 % of max-sessions for five minutes; beyond it, session starts get 503.',
        },
      },
    };
    // Ten minutes of each state, one scrape a minute (a series of the killed process goes stale).
    await evaluateOnScrapes('a real runtime pair', [{ minutes: 10, samples: healthy }, { minutes: 10, samples: afterFailover }], [
      { at: '9m', firing: {} },
      { at: '19m', firing },
    ]);
  });
});

describe('on the metrics of a real ors runtime process kept from its lease', () => {
  let pair: HaPair | undefined;
  afterAll(async () => {
    await pair?.close();
  });

  it('the lease held by an unreachable holder (a partitioned primary): OrsNodeWithoutPrimary and OrsBackupNotSynced fire, nothing else', async () => {
    pair = await HaPair.create(await strategyDir({}), { leaseMs: 1500, renewMs: 1000, retryMs: 150 });
    // A holder on the other side of a partition: it renewed just now, for an hour, and cannot be dialled.
    const now = Date.now();
    await new FileLeaseLock(String(pair.flags['lease-dir'])).create({
      holderIdentity: 'partitioned', acquireTime: now, renewTime: now, leaseDurationSeconds: 3600, leaseTransitions: 1, annotations: {},
    });
    const proc = await pair.start('ors-0-a');
    const samples = await waitUntil(async () => {
      const response = await fetch(`${proc.url}/metrics`);
      const scraped = parseExposition(await response.text()).map((s): Sample => ({ ...s, labels: { ...s.labels, namespace: 'ors-test', ors_cluster: 'cut', pod: proc.name } }));
      return scraped.some((s) => s.name === 'ors_ha_primary') ? scraped : undefined;
    }, { what: 'the process to export its role', timeoutMs: 20_000 });
    expect(samples.find((s) => s.name === 'ors_ha_primary')?.value).toBe(0);
    expect(proc.role?.role).toBe('backup');
    const labels = { namespace: 'ors-test', ors_cluster: 'cut', node: 'node-0' };
    await evaluateOnScrapes('a process kept from its lease', [{ minutes: 6, samples }], [
      { at: '0m', firing: {} },
      {
        at: '5m',
        firing: {
          OrsNodeWithoutPrimary: {
            exp_labels: { severity: 'critical', ...labels },
            exp_annotations: {
              summary: 'ORS node node-0 of ors-test/cut has no primary',
              description: 'No runtime process of the node has held its lease for a minute; new sessions of the node are refused.',
            },
          },
          OrsBackupNotSynced: {
            exp_labels: { severity: 'warning', ...labels },
            exp_annotations: {
              summary: 'ORS node node-0 of ors-test/cut has no synced backup',
              description: 'The node\'s backup has not held the primary\'s state for two minutes; a failover now would lose the sessions that are not persisted.',
            },
          },
        },
      },
    ]);
  }, 60_000);
});

describe('on the metrics of a real ors runtime whose strategy loops', () => {
  const LOOPING = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="idle">
  <state id="idle"><transition event="go" target="spinning"/></state>
  <state id="spinning"><transition cond="(function () { while (true) {} })()" target="idle"/></state>
</scxml>`;
  let runtime: OrsProcess | undefined;
  afterAll(async () => {
    await runtime?.stop('SIGKILL');
  });

  it('the watchdog ends the session: OrsWatchdogTerminations fires, every other alert stays silent', async () => {
    const dir = await strategyDir({ 'looping.scxml': LOOPING });
    runtime = spawnOrs(['runtime', '--auth', 'none', '--http-port', '0', '--strategies-dir', dir, '--macrostep-hard-limit', '1500', '--log-level', 'warn']);
    const url = (await runtime.line(/listening on (http:\/\/\S+)/, 30_000))[1]!;
    const scrape = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return parseExposition(text).map((s): Sample => ({ ...s, labels: { ...s.labels, namespace: 'ors-test', ors_cluster: 'single', pod: 'ors-0-a' } }));
    };
    const ended = (samples: Sample[]) => samples.find((s) => s.name === 'ors_watchdog_sessions_ended_total' && s.labels.reason === 'watchdog')?.value;
    const before = await scrape();
    expect(ended(before)).toBe(0);
    const started = await fetch(`${url}/scxml/session/start`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'src=looping.scxml' });
    expect(started.status).toBe(200);
    const { sessionid } = (await started.json()) as { sessionid: string };
    await fetch(`${url}/scxml/session/${sessionid}/event/go`, { method: 'POST' });
    const after = await waitUntil(async () => {
      const samples = await scrape();
      return ended(samples) === 1 ? samples : undefined;
    }, { what: 'the watchdog to end the looping session', timeoutMs: 30_000 });
    const node = before.find((s) => s.name === 'ors_active_sessions')!.labels.node!;
    await evaluateOnScrapes('a real runtime whose strategy loops', [{ minutes: 5, samples: before }, { minutes: 10, samples: after }], [
      { at: '4m', firing: {} },
      {
        at: '10m',
        firing: {
          OrsWatchdogTerminations: {
            exp_labels: { severity: 'warning', namespace: 'ors-test', ors_cluster: 'single', node },
            exp_annotations: {
              summary: `ORS node ${node} of ors-test/single ended sessions whose engine thread had to be replaced`,
              description: 'The engine watchdog ended 1 session(s) in the last 15 minutes (a strategy that loops, runs out of memory or stalls); the log names the strategy.',
            },
          },
        },
      },
    ]);
  }, 90_000);
});
