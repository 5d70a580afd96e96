// `ors local` end to end: real `ors runtime` processes (the SCXML interpreter), file
// leases and stores, HAProxy in front. Kill a node's primary through the control input
// while a client talks to the front; the node serves again within lease + 1 s and the
// persisted session carries on with its data.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findHaproxy } from '../../../runtime/local/haproxy-binary.ts';
import { localRuntimeLogTails } from '../../support/ors-processes.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const LEASE_MS = 1500;

const strategy = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="main"
       _persist="true" _sendSessionRecovered="true">
  <datamodel><data id="seen" expr="[]"/></datamodel>
  <state id="main">
    <transition event="*" type="internal"><script>seen.push(_event.name);</script></transition>
  </state>
</scxml>`;

let child: ChildProcess | undefined;
let dir = '';
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts `ors local` on a free front port with `args`; resolves with the front URL and a reader of its output. */
async function startOrsLocal(args: string[]): Promise<{ front: string; output: () => string }> {
  expect(findHaproxy(), 'haproxy is missing: sudo apt-get install haproxy (ors local installs it itself when it can)').toBeDefined();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ors-local-test-'));
  await writeFile(path.join(dir, 'counter.scxml'), strategy);
  const started = spawn(process.execPath, ['runtime/cli/ors.ts', 'local', '--port', '0', ...args, '--strategies-dir', dir, '--data-dir', path.join(dir, 'data')], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  child = started;
  let output = '';
  started.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!/front \(HAProxy\): (\S+)/.test(output)) {
    if (Date.now() > deadline || started.exitCode !== null) throw new Error(`ors local did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { front: /front \(HAProxy\): (\S+)/.exec(output)![1]!, output: () => output };
}

function running(): ChildProcess {
  if (!child) throw new Error('ors local is not running');
  return child;
}

async function stopOrsLocal(): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child!.once('exit', resolve));
  child.stdin!.write('quit\n');
  await exited;
  await rm(dir, { recursive: true, force: true });
  dir = '';
}

describe('ors local', () => {
  it('serves through HAProxy, survives kill -9 of a primary (the session is recovered with its events), and stops cleanly', async () => {
    const { front, output: read } = await startOrsLocal(['--nodes', '2', '--lease-duration', String(LEASE_MS), '--lease-renew-deadline', '1000', '--lease-retry-period', '150', '--restart-delay', '500']);
    const child = running();
    // The example request it prints starts a strategy of --strategies-dir (not the examples' "survey": a 400 here).
    expect(read()).toContain(`try: curl -i ${front}/scxml/session/start -d src=counter.scxml `);
    expect(read()).toContain(`data and logs: ${path.join(dir, 'data')} (kept on exit)`);

    const started = await fetch(`${front}/scxml/session/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'src=counter.scxml',
    });
    const body = (await started.json()) as { sessionid: string };
    expect(started.status, JSON.stringify(body)).toBe(200);
    expect(started.headers.get('set-cookie')).toContain(`ORSSESSIONID=${body.sessionid}`);
    const id = body.sessionid;
    const node = Number(/\.node-(\d+)$/.exec(id)![1]);
    const cookie = `ORSSESSIONID=${id}`;
    const send = (name: string) =>
      fetch(`${front}/scxml/session/${id}/event/${name}`, { method: 'POST', headers: { cookie }, signal: AbortSignal.timeout(2000) })
        .then((r) => r.status)
        .catch(() => 0);
    for (const name of ['one', 'two', 'three']) expect(await send(name)).toBe(200);
    await new Promise((r) => setTimeout(r, 300));

    child.stdin!.write(`kill ${node}\n`);
    while (!read().includes(`killed node-${node}-`)) {
      if (child.exitCode !== null) throw new Error(`ors local exited:\n${read()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const killedAt = Date.now();
    let status = 0;
    for (let n = 0; status !== 200; n++) {
      status = await send(`after${n}`);
      if (Date.now() - killedAt > 15_000) throw new Error(`the node did not come back:\n${read()}`);
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }

    // A keep-alive connection HAProxy closed during the failover fails once on reuse; retry then.
    const query = await fetch(`${front}/scxml/session/${id}/query`, { headers: { cookie } }).catch(() =>
      fetch(`${front}/scxml/session/${id}/query`, { headers: { cookie } }),
    );
    const state = (await query.json()) as { datamodel: { seen: string[] } };
    expect(query.status).toBe(200);
    expect(state.datamodel.seen.slice(0, 3)).toEqual(['one', 'two', 'three']);
    expect(state.datamodel.seen).toContain('session.recovered');

    child.stdin!.write('status\n');
    await new Promise((r) => setTimeout(r, 500));
    expect(read()).toMatch(/primary \(epoch 2\)/);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.stdin!.write('quit\n');
    expect(await exited).toBe(0);
    expect(read()).toContain('[ors local] stopped');
  });

  // With the default timings (lease 6 s): a kill -9 is proved a crash (runtime/ha/FAILOVER.md)
  // and the backup serves through HAProxy long before the lease could have expired. The
  // time itself is measured by bench/ha.bench.ts.
  it('default timings: kill -9 under load through HAProxy — served again before the lease could expire, no 404, only 503s with Retry-After meanwhile', async () => {
    const { front, output: read } = await startOrsLocal(['--nodes', '1']);
    const child = running();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const started = await fetch(`${front}/scxml/session/start`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'src=counter.scxml' });
      ids.push(((await started.json()) as { sessionid: string }).sessionid);
    }
    const answers: { status: number; error?: string; retryAfter?: string | null; at: number }[] = [];
    let loading = true;
    const load = (async () => {
      for (let n = 0; loading; n++) {
        const id = ids[n % ids.length]!;
        const response = await fetch(`${front}/scxml/session/${id}/event/tick${n}`, { method: 'POST', headers: { cookie: `ORSSESSIONID=${id}` }, redirect: 'manual', signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        if (!response) {
          answers.push({ status: 0, at: Date.now() });
        } else {
          const text = await response.text();
          // An error that is not the JSON error shape (HAProxy's HTML page) is a wrong answer, not a crash of the load loop.
          const error = response.status < 400 ? undefined : errorCodeOf(text);
          answers.push({ status: response.status, ...(error ? { error } : {}), retryAfter: response.headers.get('retry-after'), at: Date.now() });
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    child.stdin!.write('kill 0\n');
    while (!read().includes('killed node-0-')) await new Promise((r) => setTimeout(r, 2));
    const killedAt = Date.now();
    while (!answers.some((a) => a.at > killedAt && a.status === 200)) {
      if (Date.now() - killedAt > 20_000) throw new Error(`node-0 did not come back:\n${read()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const servedAfter = answers.find((a) => a.at > killedAt && a.status === 200)!.at - killedAt;
    await new Promise((r) => setTimeout(r, 500));
    loading = false;
    await load;
    expect(servedAfter, `served again ${servedAfter} ms after the kill`).toBeLessThan(6000 / 2);
    const wrong = answers.filter((a) => a.status !== 200 && a.status !== 0 && !(a.status === 503 && a.retryAfter && a.error !== 'not JSON'));
    const relative = (list: typeof answers) => JSON.stringify(list.slice(0, 5).map((a) => ({ ...a, at: `${a.at - killedAt} ms after the kill` })));
    expect(wrong, wrong.length === 0 ? '' : `wrong answers (of ${answers.length}): ${relative(wrong)}; the runtimes' warnings: ${warningsSince(killedAt)}`).toEqual([]);
    expect(answers.filter((a) => a.status === 404)).toEqual([]);
    await stopOrsLocal();
  });
});

/** The runtimes' warnings and errors, shortened, with their time after `since`: a failure report that fits in CI's output tail. */
function warningsSince(since: number): string {
  return localRuntimeLogTails(path.join(dir, 'data'), 6, (line) => /"level":[45]0/.test(line))
    .split('\n')
    .map((line) => {
      if (!line.startsWith('{')) return line;
      try {
        const entry = JSON.parse(line) as { time: number; msg?: string; err?: unknown };
        return `${entry.time - since} ms: ${entry.msg ?? ''}${entry.err ? ` (${JSON.stringify(entry.err).slice(0, 120)})` : ''}`;
      } catch {
        return line.slice(0, 200); // a line still being written
      }
    })
    .join(' | ');
}

function errorCodeOf(body: string): string {
  try {
    return String((JSON.parse(body) as { error?: unknown }).error);
  } catch {
    return 'not JSON';
  }
}

describe('ors local on a taken port', () => {
  it('exits 1 naming the port instead of sharing it with whatever listens there', async () => {
    expect(findHaproxy(), 'haproxy is missing: sudo apt-get install haproxy').toBeDefined();
    const squatter = net.createServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as net.AddressInfo).port;
    try {
      const second = spawn(process.execPath, ['runtime/cli/ors.ts', 'local', '--nodes', '1', '--port', String(port)], {
        cwd: root,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let output = '';
      second.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      second.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
      expect(code, output).toBe(1);
      expect(output).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(output).not.toContain('front (HAProxy)');
    } finally {
      squatter.close();
    }
  });
});
