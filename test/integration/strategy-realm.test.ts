// Strategy isolation, error events, included sources and invoked children on a real
// `ors runtime` process, over its REST API: the realm probes of
// test/support/realm-probes.ts (each escape attempt gets an error and reads nothing; two
// sessions never see each other's data), `_event.data` of error.execution, `<script
// src>` / `<data src>` through the strategy loader, and an `<invoke>`d child that talks
// to its parent.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../infra/wait-until.ts';
import { spawnOrs, tempDir } from '../support/ors-processes.ts';
import type { OrsProcess } from '../support/ors-processes.ts';
import { realmProbes } from '../support/realm-probes.ts';
import type { ProbeReport } from '../support/realm-probes.ts';

const fixtures = path.resolve(import.meta.dirname, 'fixtures/strategies');
const dir = tempDir('ors-realm-');
const strategies = path.join(dir, 'strategies');
let runtime: OrsProcess;
let url = '';

interface Query {
  configuration: string[];
  datamodel: Record<string, unknown>;
}

async function startSession(src: string): Promise<{ status: number; body: { sessionid?: string; error?: string; message?: string } }> {
  const res = await fetch(`${url}/scxml/session/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `src=${encodeURIComponent(src)}`,
  });
  return { status: res.status, body: (await res.json()) as { sessionid?: string } };
}

async function query(id: string): Promise<Query> {
  const res = await fetch(`${url}/scxml/session/${id}/query`);
  expect(res.status).toBe(200);
  return (await res.json()) as Query;
}

/** Starts a session of `src` and waits until its configuration contains `state`. */
async function runUntil(src: string, state: string): Promise<Query> {
  const started = await startSession(src);
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  const id = started.body.sessionid!;
  return waitUntil(
    async () => {
      const q = await query(id);
      return q.configuration.includes(state) ? q : undefined;
    },
    { what: `${src} to reach ${state}`, timeoutMs: 15_000, intervalMs: 50, abortIf: () => (runtime.child.exitCode !== null ? new Error(runtime.output()) : undefined) },
  );
}

const probes = realmProbes(expect);

beforeAll(async () => {
  mkdirSync(strategies);
  probes.forEach((p, i) => p.documents.forEach((xml, j) => writeFileSync(path.join(strategies, `probe-${i}-${j}.scxml`), xml)));
  for (const f of ['invoke-ping-pong.scxml', 'includes.scxml', 'includes-lib.js', 'includes-config.json', 'include-outside.scxml', 'error-data.scxml']) {
    copyFileSync(path.join(fixtures, f), path.join(strategies, f));
  }
  writeFileSync(path.join(dir, 'secret.js'), 'var secret = "outside strategies-dir";');
  runtime = spawnOrs(['runtime', '--auth', 'none', '--src-url-prefixes', 'http://127.0.0.1:', '--http-port', '0', '--node-id', 'realm-node', '--strategies-dir', strategies, '--log-level', 'warn']);
  url = (await runtime.line(/listening on (\S+)/))[1]!;
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('strategy realm probes over REST (ors runtime)', () => {
  probes.forEach((probe, i) => {
    it(probe.name, async () => {
      let report: ProbeReport | undefined;
      for (let j = 0; j < probe.documents.length; j++) {
        const q = await runUntil(`probe-${i}-${j}.scxml`, 'done');
        report = q.datamodel.report as ProbeReport;
        expect(report.leaked, JSON.stringify(report)).toEqual([]);
      }
      probe.expect(report!, report!.errors);
      expect(runtime.child.exitCode).toBeNull();
    });
  });
});

describe('strategies in the runtime', () => {
  it('error.execution carries message, tag name, line and column in _event.data', async () => {
    const q = await runUntil('error-data.scxml', 'caught');
    expect(q.datamodel.failure).toMatchObject({ tagname: 'assign', line: 6, message: expect.stringMatching(/noSuchThing/) });
    expect(typeof (q.datamodel.failure as { column: unknown }).column).toBe('number');
    expect(q.datamodel.condFailure).toMatchObject({ tagname: 'transition', line: 12, message: expect.stringMatching(/alsoMissing/) });
  });

  it('<script src> and <data src> load through the strategy loader, relative to the document', async () => {
    const q = await runUntil('includes.scxml', 'ready');
    expect(q.datamodel.greeting).toBe('hello from includes-lib.js');
    expect(q.datamodel.config).toEqual({ queue: 'sales', retries: 3 });
  });

  it('an include outside strategies-dir is refused with a 400', async () => {
    const started = await startSession('include-outside.scxml');
    expect(started.status).toBe(400);
    expect(started.body.message).toMatch(/outside strategies-dir/);
  });

  it('a document fetched over HTTP cannot include a local file', async () => {
    const server = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/xml');
      res.end(`<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="s">
        <datamodel><data id="stolen" src="file://${path.join(dir, 'secret.js')}"/></datamodel><state id="s"/></scxml>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const started = await startSession(`http://127.0.0.1:${port}/remote.scxml`);
      expect(started.status).toBe(400);
      expect(started.body.message).toMatch(/include "file:.*secret\.js" of a document fetched over HTTP must be an http\(s\) URL/);
    } finally {
      server.close();
    }
  });

  it('an <invoke>d child exchanging events with its parent completes', async () => {
    const q = await runUntil('invoke-ping-pong.scxml', 'completed');
    expect(q.datamodel.result).toBe('child done after 3 pings, 2 pongs');
  });
});
