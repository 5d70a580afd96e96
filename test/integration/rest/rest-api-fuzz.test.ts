// schemathesis (PyPI, test/infra/schemathesis) against the OpenAPI document a real
// `ors runtime` serves, with bearer authentication on: bounded (max examples per
// operation, fixed seed, one worker), every phase (examples with the configured
// application names as src, coverage, fuzzing, and stateful runs that follow the
// document's links from a start to the live session's routes). It must find no server
// error and no answer that contradicts the document (status, content type, headers, body
// schema, 405/Allow for other methods, 401 without credentials).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCacheRoot } from '../../infra/server-binaries.ts';
import { spawnOrs, type OrsProcess } from '../../support/ors-processes.ts';

const run = promisify(execFile);
const here = import.meta.dirname;
const MAX_EXAMPLES = 100;
const SEED = 20261202;

/** Answers every request with its parameters and counts the other events. */
const echo = `<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:session="http://www.genesyslab.com/modules/session"
       version="1.0" datamodel="ecmascript" initial="main">
  <datamodel><data id="customer" _type="parameter" expr="'anonymous'"/><data id="events" expr="0"/></datamodel>
  <state id="main">
    <transition event="*" cond="_event.sendid !== undefined" type="internal">
      <session:response requestid="_event.sendid">
        <param name="customer" expr="customer"/>
        <param name="events" expr="events"/>
      </session:response>
    </transition>
    <transition event="stop" target="done"/>
    <transition event="*" type="internal"><assign location="events" expr="events + 1"/></transition>
  </state>
  <final id="done"/>
</scxml>`;

/** The `st` that test/infra/schemathesis/install.sh put in the cache, for the pinned version. */
async function schemathesisBinary(): Promise<string> {
  const requirements = await readFile(path.join(here, '../../infra/schemathesis/requirements.txt'), 'utf8');
  const version = /^schemathesis==(\S+)/m.exec(requirements)![1];
  return path.join(testCacheRoot(), `schemathesis-${version}`, 'bin', 'st');
}

let dir = '';
let runtime: OrsProcess | undefined;
afterAll(async () => {
  await runtime?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('schemathesis over the served OpenAPI document', () => {
  let url = '';
  const token = 'fuzz-token-7d1e0c9b2a';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ors-fuzz-'));
    await writeFile(path.join(dir, 'echo.scxml'), echo);
    await writeFile(path.join(dir, 'tally.scxml'), echo.replace('expr="\'anonymous\'"', 'expr="\'tally\'"'));
    await writeFile(path.join(dir, 'tokens'), `${token}\n`);
    runtime = spawnOrs([
      'runtime', '--http-host', '127.0.0.1', '--http-port', '0', '--log-level', 'warn',
      '--auth-tokens-file', path.join(dir, 'tokens'), '--strategies-dir', dir, '--applications', 'echo=echo.scxml,tally=tally.scxml',
      '--request-timeout', '2000', '--max-sessions', '100000',
    ]);
    url = (await runtime.line(/listening on (\S+)/, 30_000))[1]!;
  });

  it(`finds no server error and no answer contradicting the document (${MAX_EXAMPLES} examples per operation, seed ${SEED})`, async () => {
    const st = await schemathesisBinary();
    expect(existsSync(st), `${st} is missing: run test/infra/schemathesis/install.sh (make servers)`).toBe(true);
    const junit = path.join(dir, 'junit.xml');
    const result = await run(
      st,
      [
        'run', `${url}/openapi.json`,
        '--header', `Authorization: Bearer ${token}`,
        '--max-examples', String(MAX_EXAMPLES), '--seed', String(SEED), '--workers', '1',
        // Every check except positive_data_acceptance: a well-formed start naming an unknown
        // application is rightly a 400, not the 2xx that check expects.
        '--checks', 'all', '--exclude-checks', 'positive_data_acceptance',
        '--request-timeout', '10', '--no-color', '--report', 'junit', '--report-junit-path', junit,
      ],
      // cwd: schemathesis keeps a crash cache in ./.schemathesis; not in the repository.
      { cwd: dir, maxBuffer: 64 * 1024 * 1024, timeout: 600_000, env: { ...process.env, SCHEMATHESIS_TELEMETRY: 'false', NO_COLOR: '1' } },
    ).catch((error: { code?: number; stdout?: string; stderr?: string }) => error);
    const stdout = (result as { stdout?: string }).stdout ?? '';
    const summary = /Test cases:\s*\n\s*(.+)/.exec(stdout)?.[1] ?? '(no summary)';
    process.stdout.write(`schemathesis: ${summary}\n`);
    const generated = Number(/(\d+) generated/.exec(summary)?.[1] ?? 0);
    expect(stdout, (result as { stderr?: string }).stderr).toMatch(/Test cases:/);
    expect(generated).toBeGreaterThan(500);
    expect(summary, stdout.slice(-20_000)).not.toMatch(/found \d+ unique failures|errored/);
    expect((result as { code?: number }).code ?? 0, stdout.slice(-20_000)).toBe(0);
    const report = await readFile(junit, 'utf8');
    expect(report).toMatch(/<testsuite /);
    expect(report).not.toMatch(/<failure/);
  });
});
