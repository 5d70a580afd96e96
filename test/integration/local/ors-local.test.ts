// `ors local` end to end: real `ors runtime` processes (the SCXML interpreter), file
// leases and stores, HAProxy in front. Kill a node's primary through the control input
// while a client talks to the front; the node serves again within lease + 1 s and the
// persisted session carries on with its data.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findHaproxy } from '../../../runtime/local/haproxy-binary.ts';

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

describe('ors local', () => {
  it('serves through HAProxy, survives kill -9 of a primary (the session is recovered with its events), and stops cleanly', async () => {
    expect(findHaproxy(), 'haproxy is missing: sudo apt-get install haproxy (ors local installs it itself when it can)').toBeDefined();
    dir = await mkdtemp(path.join(os.tmpdir(), 'ors-local-test-'));
    await writeFile(path.join(dir, 'counter.scxml'), strategy);
    child = spawn(
      process.execPath,
      ['runtime/cli/ors.ts', 'local', '--nodes', '2', '--port', '0', '--lease-duration', String(LEASE_MS), '--lease-renew-deadline', '1000', '--lease-retry-period', '150', '--restart-delay', '500', '--strategies-dir', dir],
      { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!/front \(HAProxy\): (\S+)/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`ors local did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const front = /front \(HAProxy\): (\S+)/.exec(output)![1]!;

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
    while (!output.includes(`killed node-${node}-`)) {
      if (child.exitCode !== null) throw new Error(`ors local exited:\n${output}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const killedAt = Date.now();
    let status = 0;
    for (let n = 0; status !== 200; n++) {
      status = await send(`after${n}`);
      if (Date.now() - killedAt > 15_000) throw new Error(`the node did not come back:\n${output}`);
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
    expect(output).toMatch(/primary \(epoch 2\)/);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.stdin!.write('quit\n');
    expect(await exited).toBe(0);
    expect(output).toContain('[ors local] stopped');
  });
});
