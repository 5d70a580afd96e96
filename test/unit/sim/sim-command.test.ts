import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSimConfig } from '../../../runtime/sim/run-sim.ts';
import type { SimCommandOptions } from '../../../runtime/cli/sim-command.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const base: SimCommandOptions = { routingPoint: [], queue: [], target: [], logLevel: 'info' };

describe('ors sim configuration', () => {
  it('builds routing points, queues, targets, load and lease expiry from flags', async () => {
    const config = await buildSimConfig({
      ...base,
      routingPoint: ['5000=route.scxml', '5001=http://strategies/vip.scxml'],
      queue: ['chat=chat.scxml'],
      target: ['agent-1'],
      rate: 20,
      calls: 100,
      seed: 4,
      leaseExpiry: 2000,
    });
    expect(config.routingPoints).toEqual([{ dn: '5000', strategy: 'route.scxml' }, { dn: '5001', strategy: 'http://strategies/vip.scxml' }]);
    expect(config.queues).toEqual([{ name: 'chat', strategy: 'chat.scxml' }]);
    expect(config.targets).toEqual(['agent-1']);
    expect(config.load).toMatchObject({ ratePerSecond: 20, calls: 100, seed: 4, meanPatienceMs: 30_000 });
    expect(config.leaseExpiry).toEqual({ enabled: true, leaseMs: 2000 });
  });

  it('lets flags override a YAML file', async () => {
    const file = path.join(tmpdir(), `sim-${process.pid}.yaml`);
    writeFileSync(file, 'routingPoints:\n  - {dn: "7000", strategy: a.scxml}\nload: {ratePerSecond: 5, durationMs: 1000}\n');
    const config = await buildSimConfig({ ...base, config: file, rate: 50 });
    expect(config.routingPoints).toEqual([{ dn: '7000', strategy: 'a.scxml' }]);
    expect(config.load).toMatchObject({ ratePerSecond: 50, durationMs: 1000 });
  });

  it('rejects malformed pairs and endless loads with a clear message', async () => {
    await expect(buildSimConfig({ ...base, routingPoint: ['5000'] })).rejects.toThrow(/--routing-point "5000": expected NAME=STRATEGY/);
    await expect(buildSimConfig({ ...base, rate: 5 })).rejects.toThrow(/load: a load needs `calls` or `durationMs`/);
  });

  it('exits 2 with the message on bad flags', () => {
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, ['runtime/cli/ors.ts', 'sim', '--queue', 'novalue'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      failure = err as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(2);
    expect(failure?.stderr).toMatch(/--queue "novalue": expected NAME=STRATEGY/);
  });
});
