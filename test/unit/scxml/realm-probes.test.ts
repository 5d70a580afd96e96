// The realm probes (test/support/realm-probes.ts) on the interpreter alone: one test per
// escape route and per shared-state route. Each probe's sessions run in this one process,
// so they share the realm exactly as the sessions of one engine thread do.
import { describe, expect, it } from 'vitest';
import { compile, createSession } from '../../../runtime/scxml/index.ts';
import { realmProbes } from '../../support/realm-probes.ts';
import type { ProbeReport } from '../../support/realm-probes.ts';
import { ManualScheduler } from './harness.ts';

function run(xml: string): { report: ProbeReport; errors: string[]; configuration: string[] } {
  const doc = compile(xml, { sourceName: 'probe.scxml' });
  const scheduler = new ManualScheduler();
  const errors: string[] = [];
  const session = createSession(doc, { scheduler: scheduler.schedule, observer: { error: (_id, name, e) => errors.push(`${name}: ${String(e)}`) } });
  session.start();
  scheduler.drain();
  // The host reads the report through JSON, as the REST query does.
  return { report: JSON.parse(JSON.stringify(session.getData('report'))) as ProbeReport, errors, configuration: session.configuration };
}

describe('strategy realm probes (interpreter)', () => {
  for (const probe of realmProbes(expect)) {
    it(probe.name, () => {
      let last: ReturnType<typeof run> | undefined;
      for (const xml of probe.documents) {
        last = run(xml);
        expect(last.configuration).toEqual(['done']);
        expect(last.report.leaked, JSON.stringify(last.report)).toEqual([]);
      }
      probe.expect(last!.report, last!.errors);
    });
  }
});
