// The runaway kinds of issue 17 that the realm and the interpreter must stop themselves,
// against a real `ors runtime` pair over REST: each one becomes an `error.execution` in
// its own session (which goes on, visible to /query), no engine thread is replaced (the
// watchdog is not needed, so no thread is left stuck in an uninterruptible built-in), the
// other sessions on both engine threads lose no event, /heartbeat and /livez keep
// answering, the Lease is kept and the process never exits. runtime-isolation.test.ts
// covers the kinds only the watchdog and the heap limit can end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../infra/wait-until.ts';
import { p99, RunawayPair } from '../support/runaway-pair.ts';

/** A document whose `state` runs `body` (SCXML text) on `go`; each error.execution is recorded. */
function strategy(body: string, extraStates = ''): string {
  return `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="idle">
  <datamodel><data id="errors" expr="[]"/><data id="after" expr="0"/></datamodel>
  <state id="idle">
    <transition event="error.execution"><assign location="errors" expr="errors.concat([_event.data.message])"/></transition>
    <transition event="after"><assign location="after" expr="after + 1"/></transition>
    ${body}
  </state>
  ${extraStates}
</scxml>`;
}

const STRATEGIES: Record<string, string> = {
  // One built-in call over a huge array-like: C++/Torque loops that never tick, and that
  // worker.terminate() cannot interrupt either.
  'builtins.scxml': strategy(`
    <transition event="lastIndexOf"><script>Array.prototype.lastIndexOf.call({ length: 2 ** 53 - 1 }, 1);</script></transition>
    <transition event="from"><script>Array.from.call(Object, { length: 2 ** 53 - 1 });</script></transition>
    <transition event="forEach"><script>Array.prototype.forEach.call(new Array(2 ** 32 - 1), Math.abs);</script></transition>`),
  // An eventless transition whose guard turns the loop check off, then loops: by
  // reassigning the helper, or by shadowing it with a with statement. The stand-in is a
  // built-in: a function of strategy code would itself be instrumented and still tick.
  'guard-helper.scxml': strategy(
    `<transition event="assign" target="assigning"/><transition event="with" target="shadowing"/>`,
    `<state id="assigning">
      <transition cond="(function () { __scxml_rt = { tick: Math.abs }; while (true) {} })()" target="idle"/>
      <transition event="error.execution" target="idle"><assign location="errors" expr="errors.concat([_event.data.message])"/></transition>
    </state>
    <state id="shadowing">
      <transition cond="(function () { with ({ __scxml_rt: { tick: Math.abs } }) { while (true) {} } })()" target="idle"/>
      <transition event="error.execution" target="idle"><assign location="errors" expr="errors.concat([_event.data.message])"/></transition>
    </state>`,
  ),
  // <foreach> raising a million events, and a <foreach> whose items are each cheap but
  // together take longer than the macrostep budget.
  'foreach.scxml': strategy(`
    <transition event="raise"><foreach array="new Array(1000000).fill(0)" item="x"><raise event="tick"/></foreach></transition>
    <transition event="long"><foreach array="new Array(200000).fill(0)" item="x"><script>for (var i = 0; i &lt; 500; i++) {}</script></foreach></transition>`),
  // The callback would run at garbage collection, outside any evaluation.
  'finalizer.scxml': strategy(`
    <transition event="register"><script>
      var registry = new FinalizationRegistry(function () { throw new Error('thrown at garbage collection'); });
      for (var i = 0; i &lt; 20000; i++) registry.register({ i: i }, i);
    </script></transition>`),
};

const pair = new RunawayPair();

beforeAll(() => pair.start(STRATEGIES), 60_000);
afterAll(() => pair.stop());

/**
 * Sends `event` to a fresh session of `src`, then `after`; returns the error messages the
 * session recorded. The session must still be running and have processed `after` (no
 * event lost behind the runaway), and no engine thread may have been replaced.
 */
async function cutShort(src: string, event: string): Promise<string[]> {
  const since = performance.now();
  const restartsBefore = await pair.threadRestarts();
  const id = await pair.startSession(src);
  for (const name of [event, 'after']) {
    const fired = await pair.post(`/scxml/session/${id}/event/${name}`);
    expect(fired.status, `${JSON.stringify(fired.json)}\n${pair.primary.output()}`).toBe(200);
  }
  await pair.bumpWitnessesPastHardLimit();
  const answer = await waitUntil(
    async () => {
      const q = await pair.query(id);
      if (q.status !== 200) return q;
      return (q.json.datamodel as { after: number }).after > 0 ? q : undefined;
    },
    { what: `${src} ${event} to be cut short`, timeoutMs: 30_000, intervalMs: 100 },
  );
  expect(answer.status, `${src} ${event}: the session must not be ended: ${JSON.stringify(answer.json)}`).toBe(200);
  const datamodel = answer.json.datamodel as { errors: string[]; after: number };
  expect(await pair.threadRestarts(), `${src} ${event}: no engine thread replaced`).toBe(restartsBefore);
  await pair.expectWitnessesExact();
  pair.expectNodeHealthy(since);
  return datamodel.errors;
}

describe('runaway strategies stopped inside their session', () => {
  afterAll(() => {
    const primaryMs = pair.primaryProbeMs();
    // Target 100 ms (bench/isolation.bench.ts); loose here, as in runtime-isolation.test.ts.
    expect(p99(primaryMs), `p99 of ${primaryMs.length} primary /heartbeat and /livez probes`).toBeLessThan(500);
  });

  for (const event of ['lastIndexOf', 'from', 'forEach']) {
    it(`a built-in walking a huge array-like (${event}) is refused before it starts`, async () => {
      const errors = await cutShort('builtins.scxml', event);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/length \d+ is above the limit/);
    });
  }

  it('an eventless guard reassigning the loop-check helper is refused', async () => {
    const errors = await cutShort('guard-helper.scxml', 'assign');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/__scxml_rt is reserved/);
  });

  it('an eventless guard shadowing the loop-check helper with `with` is refused', async () => {
    const errors = await cutShort('guard-helper.scxml', 'with');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/with statements are not available/);
  });

  it('a <foreach> raising a million events stops at the internal queue bound', async () => {
    const errors = await cutShort('foreach.scxml', 'raise');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/internal event queue full/);
  });

  it('a <foreach> whose items together exceed the macrostep budget stops at the budget', async () => {
    const errors = await cutShort('foreach.scxml', 'long');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/foreach exceeded the evaluation time limit/);
  });

  it('a FinalizationRegistry is not available (its callback would throw at garbage collection)', async () => {
    const errors = await cutShort('finalizer.scxml', 'register');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/FinalizationRegistry is not defined/);
  });
});
