// The live status page of `ors local`, rendered by real headless Chromium: a healthy
// cluster, then a failover (`kill 0` on the control input) that the open page shows
// without a reload — the new primary, the killed process down, the failover on the
// timeline and the event that explains it. Screenshots of both are kept and printed.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StatusPageSchema } from '../../../operator/status-page/page-model.ts';
import { findHaproxy } from '../../../runtime/local/haproxy-binary.ts';
import { screenshotDir, startChromium, type Chromium } from '../../infra/chromium.ts';
import { waitUntil } from '../../infra/wait-until.ts';

const root = path.resolve(import.meta.dirname, '../../..');
let local: ChildProcess | undefined;
let chromium: Chromium | undefined;
afterAll(async () => {
  await chromium?.stop();
  if (local && local.exitCode === null) {
    const exited = new Promise((resolve) => local!.once('exit', resolve));
    local.stdin!.write('quit\n');
    await exited;
  }
});

/** The primary pod's name in node `n`'s row of the page. */
const primaryCell = (n: number) => `document.querySelector('tr[data-node="${n}"] td.primary')?.textContent ?? ''`;

describe('ors local status page in Chromium', () => {
  it('shows the nodes and primaries, and a failover as it happens, without a reload', async () => {
    expect(findHaproxy(), 'haproxy is missing: sudo apt-get install haproxy').toBeDefined();
    const dir = await screenshotDir('ors-status-page-');
    local = spawn(process.execPath, ['runtime/cli/ors.ts', 'local', '--port', '0', '--status-port', '0', '--nodes', '2',
      '--lease-duration', '1500', '--lease-renew-deadline', '1000', '--lease-retry-period', '150', '--restart-delay', '8000'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    local.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    local.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [, front, statusUrl] = await waitUntil(async () => /front \(HAProxy\): (\S+)\n\s+status page: (\S+)/.exec(output) ?? undefined, {
      what: 'ors local to start', timeoutMs: 90_000, abortIf: () => (local!.exitCode !== null ? new Error(`ors local exited:\n${output}`) : undefined),
    });
    const started = await fetch(`${front}/scxml/session/start`, { method: 'POST', body: new URLSearchParams({ src: 'survey', customer: 'alice' }) });
    expect(started.status).toBe(200);

    const json = StatusPageSchema.parse(await (await fetch(statusUrl!.replace(/\/status$/, '/status.json'))).json());
    expect(json.clusters[0]!.nodes.map((n) => n.primary)).toEqual(['node-0-a', 'node-1-a']);

    chromium = await startChromium(dir);
    const page = await chromium.newPage();
    await page.navigate(statusUrl!);
    await page.waitForText((t) => t.includes('node 1') && t.includes('2/2 nodes ready') && t.includes('1 session'), 'the healthy cluster on the page');
    expect(await page.evaluate<string[]>(`[...document.querySelectorAll('section.cluster h2 .badge')].map((b) => b.textContent)`)).toContain('1 session');
    expect(await page.evaluate<string>(primaryCell(0))).toBe('node-0-a');
    expect(await page.evaluate<string>(primaryCell(1))).toBe('node-1-a');
    expect(await page.evaluate<string>(`document.querySelector('tr[data-node="0"] td.backup')?.textContent`)).toBe('node-0-b');
    expect(await page.evaluate<string>('document.body.innerText')).toContain('Running');
    const healthy = await page.screenshot(path.join(dir, 'healthy.png'));

    // A marker that a reload would lose: the failover must arrive through polling.
    await page.evaluate('window.notReloaded = true');
    local.stdin!.write('kill 0\n');
    await waitUntil(async () => ((await page.evaluate<string>(primaryCell(0))) === 'node-0-b' ? true : undefined), { what: 'node-0-b as the primary of node 0 on the page', timeoutMs: 30_000, intervalMs: 200 });
    const text = await page.waitForText((t) => t.includes('ProcessExited') && /node 0: primary node-0-a -> node-0-b/.test(t), 'the failover on the timeline and its event');
    const timeline = await page.evaluate<string[]>(`[...document.querySelectorAll('ol.timeline li.failover')].map((li) => li.textContent)`);
    expect(timeline.some((entry) => entry.includes('node 0: primary node-0-a -> node-0-b'))).toBe(true);
    expect(text).toContain('node-0-a exited (SIGKILL)');
    // The killed process is still down (restart delay 8 s): the page shows it not ready.
    expect(await page.evaluate<string>(`document.querySelector('[data-pod="node-0-a"]')?.textContent`)).toMatch(/not ready.*\((down|starting)\)/);
    expect(await page.evaluate<boolean>('window.notReloaded === true')).toBe(true);
    const failover = await page.screenshot(path.join(dir, 'failover.png'));
    page.close();
    process.stdout.write(`status page screenshots:\n  ${healthy}\n  ${failover}\n`);
  }, 180_000);
});
