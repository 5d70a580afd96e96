// SCION's own test categories (@scion-scxml/test-framework/test/<category>): each .scxml
// with its .json (initial configuration, then events and the configuration after each).
// Categories whose documents need SCION-only features are not listed.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, createSession } from '../../../runtime/scxml/index.ts';
import { ManualScheduler, VirtualClock } from './harness.ts';

const root = path.resolve(import.meta.dirname, '../../../node_modules/@scion-scxml/test-framework/test');
const CATEGORIES = ['error'];

interface Expectation {
  initialConfiguration: string[];
  events?: Array<{ event: { name: string; data?: unknown }; nextConfiguration: string[]; after?: number }>;
}

describe('SCION test categories', () => {
  for (const category of CATEGORIES) {
    const dir = path.join(root, category);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.scxml'))) {
      it(`${category}/${file}`, () => {
        const expected = JSON.parse(readFileSync(path.join(dir, file.replace(/\.scxml$/, '.json')), 'utf8')) as Expectation;
        const doc = compile(readFileSync(path.join(dir, file), 'utf8'), { sourceName: file });
        const clock = new VirtualClock();
        const scheduler = new ManualScheduler();
        // The configuration after the last microstep (a session that reached a top-level
        // <final> has none any more).
        let last: string[] = [];
        const session = createSession(doc, { clock, scheduler: scheduler.schedule, observer: { step: (s) => (last = s.configuration) } });
        const atomic = () => new Set(last.filter((s) => doc.model.stateById.get(s)?.atomic));
        session.start();
        scheduler.drain();
        expect(atomic()).toEqual(new Set(expected.initialConfiguration));
        for (const step of expected.events ?? []) {
          session.send(step.event);
          scheduler.drain();
          expect(atomic()).toEqual(new Set(step.nextConfiguration));
        }
      });
    }
  }
});
