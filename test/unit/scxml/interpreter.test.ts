import { describe, expect, it } from 'vitest';
import { compile, createSession, restoreSession, ScxmlCompileError } from '../../../runtime/scxml/index.ts';
import type { ExtensionElementHandler, Session, SessionOptions, StepInfo } from '../../../runtime/scxml/index.ts';
import { ManualScheduler, seededRandom, VirtualClock } from './harness.ts';

const NS = 'xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"';

function harness(xml: string, extra: SessionOptions = {}) {
  const doc = compile(xml, { sourceName: 'test.scxml' });
  const clock = new VirtualClock();
  const scheduler = new ManualScheduler();
  const steps: StepInfo[] = [];
  const errors: string[] = [];
  const logs: unknown[] = [];
  const options: SessionOptions = {
    clock,
    random: seededRandom(42),
    scheduler: scheduler.schedule,
    observer: { step: (s) => steps.push(s), error: (_id, name, e) => errors.push(`${name}: ${String(e)}`) },
    logger: (_label, value) => logs.push(value),
    ...extra,
  };
  const session = createSession(doc, options);
  return { doc, clock, scheduler, steps, errors, logs, session, options };
}

describe('SCXML interpreter basics', () => {
  it('runs a toggle with a guard and an assign, and reports configuration and done data', () => {
    const { session, scheduler } = harness(`<scxml ${NS} initial="off">
      <datamodel><data id="n" expr="0"/></datamodel>
      <state id="off"><transition event="flip" cond="n &lt; 2" target="on"><assign location="n" expr="n + 1"/></transition>
        <transition event="flip" target="end"/></state>
      <state id="on"><transition event="flip" target="off"/></state>
      <final id="end"><donedata><param name="count" expr="n"/></donedata></final>
    </scxml>`);
    session.start();
    expect(session.configuration).toEqual(['off']);
    for (let i = 0; i < 4; i++) session.send({ name: 'flip' });
    expect(session.configuration).toEqual(['off']); // nothing runs until the host says so
    scheduler.drain();
    expect(session.done).toBe(false);
    session.send({ name: 'flip' });
    scheduler.drain();
    expect(session.done).toBe(true);
    expect(session.doneData).toEqual({ count: 2 });
  });

  it('overrides top-level data by id and exposes root attributes and data declarations', () => {
    const { doc, session } = harness(
      `<scxml ${NS} name="strategy" _persist="true" initial="s">
        <datamodel><data id="caller" _type="parameter" expr="'nobody'"/><data id="other" expr="1"/></datamodel>
        <state id="s"/>
      </scxml>`,
      { data: { caller: '555-1234' } },
    );
    expect(doc.attributes._persist).toBe('true');
    expect(doc.name).toBe('strategy');
    expect(doc.data.map((d) => [d.id, d.attributes._type])).toEqual([
      ['caller', 'parameter'],
      ['other', undefined],
    ]);
    session.start();
    expect(session.getData('caller')).toBe('555-1234');
    expect(session.getData('other')).toBe(1);
  });

  it('compiles foreign elements through extension handlers that can complete asynchronously', async () => {
    const handler: ExtensionElementHandler = {
      compile(el, tools) {
        const expr = tools.expression(el.attributes.expr!, el);
        return (ctx) => {
          const value = ctx.evaluate(expr) as number;
          void Promise.resolve(value * 2).then((doubled) => ctx.enqueue({ name: 'fetch.done', data: { doubled } }));
        };
      },
    };
    const doc = compile(
      `<scxml ${NS} xmlns:x="urn:test" initial="s">
        <datamodel><data id="result" expr="0"/></datamodel>
        <state id="s"><onentry><x:fetch expr="21"/></onentry>
          <transition event="fetch.done" target="t"><assign location="result" expr="_event.data.doubled"/></transition></state>
        <final id="t"/>
      </scxml>`,
      { extensions: { 'urn:test': { fetch: handler } } },
    );
    const session = createSession(doc, {});
    const done = new Promise<unknown>((resolve) => {
      const s = createSession(doc, { observer: { done: () => resolve(s.getData('result')) } });
      s.start();
    });
    expect(await done).toBe(42);
    session.terminate();
    expect(() => compile(`<scxml ${NS} xmlns:x="urn:test"><state id="s"><onentry><x:unknown/></onentry></state></scxml>`)).toThrow(
      /unknown element/,
    );
  });
});

describe('compile errors carry line, column and element', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['malformed XML', `<scxml ${NS}>\n  <state id="a">\n</scxml>`, /./],
    ['unknown target', `<scxml ${NS}>\n  <state id="a">\n    <transition target="nowhere"/>\n  </state>\n</scxml>`, /unknown target/],
    ['invalid attribute', `<scxml ${NS}>\n  <state id="a" bogus="1"/>\n</scxml>`, /unknown attribute/],
    ['exclusive attributes', `<scxml ${NS}>\n<state id="a"><onentry>\n<send event="a" eventexpr="'b'"/></onentry></state></scxml>`, /mutually exclusive/],
  ];
  for (const [what, xml, message] of cases) {
    it(what, () => {
      let error: unknown;
      try {
        compile(xml);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScxmlCompileError);
      const e = error as ScxmlCompileError;
      expect(e.message).toMatch(message);
      expect(e.line).toBeGreaterThan(1);
      expect(e.column).toBeGreaterThan(0);
    });
  }
  it('reports the element of an unknown target', () => {
    try {
      compile(`<scxml ${NS}>\n  <state id="a">\n    <transition target="nowhere"/>\n  </state>\n</scxml>`);
    } catch (e) {
      expect((e as ScxmlCompileError).element).toBe('transition');
      expect((e as ScxmlCompileError).line).toBe(3);
      expect((e as ScxmlCompileError).column).toBe(5);
    }
  });
  it('rejects bad expressions when asked to, otherwise compiles them to raise error.execution', () => {
    const xml = `<scxml ${NS}>\n<state id="a">\n  <transition cond="1 +* 2" target="a"/>\n</state></scxml>`;
    expect(() => compile(xml, { invalidExpressions: 'reject' })).toThrow(/3:3: <transition>: invalid expression/);
    const doc = compile(xml);
    expect(doc.warnings[0]).toMatchObject({ line: 3, element: 'transition' });
  });
});

describe('ECMAScript datamodel isolation', () => {
  const doc = compile(`<scxml ${NS} initial="s">
    <datamodel><data id="shared" expr="({ count: 0 })"/></datamodel>
    <state id="s">
      <transition event="bump"><script>shared.count++; var mine = 'set by ' + _sessionid; function helper() { return 1; }</script></transition>
      <transition event="pollute"><script>
        try { Object.prototype.polluted = 'yes'; } catch (e) {}
        try { Array.prototype.push = null; } catch (e) {}
        try { globalThis.leak = 'yes'; } catch (e) {}
        undeclaredGlobal = 'mine';
      </script></transition>
    </state>
  </scxml>`);

  it('keeps the data of two sessions of one document apart', () => {
    const a = createSession(doc, { scheduler: () => {} });
    const b = createSession(doc, { scheduler: () => {} });
    a.start();
    b.start();
    a.send({ name: 'bump' });
    a.send({ name: 'bump' });
    a.run();
    expect((a.getData('shared') as { count: number }).count).toBe(2);
    expect((b.getData('shared') as { count: number }).count).toBe(0);
    expect(a.getData('mine')).toBe(`set by ${a.id}`);
    expect(b.getData('mine')).toBeUndefined();
    expect(typeof a.getData('helper')).toBe('function');
    expect(b.getData('helper')).toBeUndefined();
  });

  it('does not let one session pollute prototypes or globals seen by another, or the host', () => {
    const a = createSession(doc, { scheduler: () => {} });
    const b = createSession(doc, { scheduler: () => {} });
    a.start();
    b.start();
    a.send({ name: 'pollute' });
    a.run();
    expect(a.getData('undeclaredGlobal')).toBe('mine');
    expect(b.getData('undeclaredGlobal')).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // b still works normally: its script uses Array/Object intrinsics.
    b.send({ name: 'bump' });
    b.run();
    expect((b.getData('shared') as { count: number }).count).toBe(1);
    const probe = compile(`<scxml ${NS} initial="s"><datamodel>
      <data id="p" expr="({}).polluted"/><data id="g" expr="typeof globalThis.leak"/><data id="push" expr="typeof [].push"/>
      </datamodel><state id="s"/></scxml>`);
    const c = createSession(probe, { scheduler: () => {} });
    c.start();
    expect(c.getData('p')).toBeUndefined();
    expect(c.getData('g')).toBe('undefined');
    expect(c.getData('push')).toBe('function');
  });

  it('keeps XML content objects (DOM) of one session from changing another', () => {
    const xmlDoc = compile(`<scxml ${NS} initial="s"><datamodel>
      <data id="books"><books xmlns=""><book title="t1"/></books></data></datamodel>
      <state id="s"><transition event="tamper"><script>
        try { books.constructor.prototype.getAttribute = function () { return 'hacked'; }; } catch (e) {}
        try { Object.getPrototypeOf(books.documentElement).getAttribute = null; } catch (e) {}
      </script></transition></state></scxml>`);
    const a = createSession(xmlDoc, { scheduler: () => {} });
    const b = createSession(xmlDoc, { scheduler: () => {} });
    a.start();
    b.start();
    a.send({ name: 'tamper' });
    a.run();
    const books = b.getData('books') as { getElementsByTagName(n: string): Array<{ getAttribute(a: string): string }> };
    expect(books.getElementsByTagName('book')[0]!.getAttribute('title')).toBe('t1');
  });

  it('gives strategy code no way to the host', () => {
    const probe = compile(`<scxml ${NS} initial="s"><datamodel>
      <data id="results" expr="[]"/></datamodel>
      <state id="s"><onentry><script>
        const attempts = {
          process: () => process,
          require: () => require('fs'),
          constructorChain: () => this.constructor.constructor('return process')(),
          functionCtor: () => Function('return process')(),
          eventChain: () => _event.constructor.constructor('return process')(),
          ioChain: () => _ioprocessors.constructor.constructor('return process')(),
          inChain: () => In.constructor('return process')(),
          errorChain: () => { try { null.x; } catch (e) { return e.constructor.constructor('return process')(); } },
        };
        for (const [name, f] of Object.entries(attempts)) {
          let outcome;
          try { const v = f(); outcome = (v &amp;&amp; typeof v.then === 'function') ? 'promise' : typeof v; } catch (e) { outcome = 'threw'; }
          results.push(name + ':' + outcome);
        }
      </script></onentry></state></scxml>`);
    const s = createSession(probe, { scheduler: () => {} });
    s.start();
    const results = s.getData('results') as string[];
    // Dynamic import() does not compile at all (test/unit/scxml/realm-probes.test.ts).
    expect(results).toHaveLength(8);
    for (const r of results) {
      expect(r, r).toMatch(/:(threw|undefined)$/);
      expect(r).not.toMatch(/:object$/);
    }
  });

  it('has no blocking primitives and survives catastrophic regular expressions', () => {
    const { session } = harness(`<scxml ${NS} initial="s"><datamodel>
      <data id="atomics" expr="typeof Atomics"/><data id="sab" expr="typeof SharedArrayBuffer"/>
      <data id="redos" expr="/(a+)+$/.test('a'.repeat(40) + 'b')"/></datamodel><state id="s"/></scxml>`);
    const t0 = performance.now();
    session.start();
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(session.getData('atomics')).toBe('undefined');
    expect(session.getData('sab')).toBe('undefined');
    expect(session.getData('redos')).toBe(false);
  });

  it('refuses code generation from strings (it would escape the time bound)', () => {
    const { session, errors } = harness(`<scxml ${NS} initial="s"><state id="s"><onentry>
      <script>Function('while (true) {}')()</script></onentry>
      <transition event="error.execution" target="t"/></state><state id="t"/></scxml>`);
    session.start();
    expect(session.configuration).toEqual(['t']);
    expect(errors[0]).toMatch(/Code generation from strings disallowed/);
    const evalDoc = compile(`<scxml ${NS} initial="s"><state id="s"><onentry>
      <script>eval('while (true) {}')</script></onentry>
      <transition event="error.execution" target="t"/></state><state id="t"/></scxml>`);
    const e = createSession(evalDoc, { scheduler: () => {} });
    e.start();
    expect(e.configuration).toEqual(['t']);
  });

  it('bounds evaluation time: an infinite loop becomes error.execution and the session goes on', () => {
    const { session, errors, scheduler } = harness(
      `<scxml ${NS} initial="s">
        <datamodel><data id="after" expr="0"/></datamodel>
        <state id="s">
          <transition event="loop"><script>while (true) {}</script><assign location="after" expr="1"/></transition>
          <transition event="recurse"><script>function f() { for (;;) { try { for(;;){} } catch (e) {} } } f();</script></transition>
          <transition event="error.execution" target="t"/>
        </state>
        <state id="t"><transition event="again" target="s"/></state>
      </scxml>`,
      { evaluationTimeLimitMs: 50 },
    );
    session.start();
    const t0 = performance.now();
    session.send({ name: 'loop' });
    scheduler.drain();
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(session.configuration).toEqual(['t']);
    expect(session.getData('after')).toBe(0); // the block stopped at the error
    expect(errors[0]).toMatch(/error.execution.*time limit/);
    session.send({ name: 'again' });
    session.send({ name: 'recurse' });
    scheduler.drain();
    expect(session.configuration).toEqual(['t']);
    // Another session of the process is unaffected.
    const other = harness(`<scxml ${NS} initial="a"><state id="a"><transition event="go" target="b"/></state><state id="b"/></scxml>`);
    other.session.start();
    other.session.send({ name: 'go' });
    other.scheduler.drain();
    expect(other.session.configuration).toEqual(['b']);
  });
});

describe('determinism', () => {
  const xml = `<scxml ${NS} initial="s">
    <datamodel><data id="draws" expr="[]"/></datamodel>
    <state id="s">
      <onentry><send event="tick" delay="1s"/></onentry>
      <transition event="tick" target="s"><script>draws.push(Math.random(), Date.now(), new Date().getTime())</script></transition>
    </state>
  </scxml>`;
  it('same clock, same random source, same events: same steps and values', () => {
    const run = () => {
      const h = harness(xml, { sessionId: 'fixed' });
      h.session.start();
      for (let i = 0; i < 5; i++) {
        h.clock.advance();
        h.scheduler.drain();
      }
      return { steps: h.steps, draws: JSON.stringify(h.session.getData('draws')) };
    };
    const a = run();
    const b = run();
    expect(a.steps.length).toBeGreaterThan(5);
    expect(b).toEqual(a);
  });
});

describe('snapshot and restore', () => {
  const xml = `<scxml ${NS} initial="main">
    <datamodel>
      <data id="when" expr="new Date(86400000)"/>
      <data id="seen" expr="new Map([['a', 1]])"/>
      <data id="tags" expr="new Set(['x'])"/>
      <data id="log" expr="[]"/>
    </datamodel>
    <state id="main">
      <onentry><send event="timer" delay="10s" id="t1"/></onentry>
      <invoke id="child" autoforward="true">
        <content>
          <scxml ${NS} initial="c1">
            <datamodel><data id="hits" expr="0"/></datamodel>
            <state id="c1"><transition event="ping"><assign location="hits" expr="hits + 1"/>
              <send target="#_parent" event="pong"><param name="hits" expr="hits"/></send></transition>
              <transition event="stop" target="cdone"/></state>
            <final id="cdone"><donedata><param name="hits" expr="hits"/></donedata></final>
          </scxml>
        </content>
      </invoke>
      <transition event="pong"><script>log.push('pong' + _event.data.hits); seen.set('p' + _event.data.hits, when.getTime())</script></transition>
      <transition event="done.invoke.child"><script>log.push('child done ' + _event.data.hits)</script></transition>
      <transition event="timer" target="end"><script>log.push('timer@' + Date.now())</script></transition>
    </state>
    <final id="end"/>
  </scxml>`;

  it('continues identically after restore with a pending delayed send and an invoked child', () => {
    const original = harness(xml, { sessionId: 'orig' });
    const o = original.session;
    o.start();
    o.send({ name: 'ping' });
    original.scheduler.drain();
    original.clock.advanceTo(original.clock.now() + 3000);
    original.scheduler.drain();

    const snapshot = JSON.parse(JSON.stringify(o.snapshot()));
    expect(snapshot.pendingSends).toHaveLength(1);
    expect(snapshot.pendingSends[0].due).toBe(1_700_000_000_000 + 10_000);
    expect(snapshot.invoked).toHaveLength(1);
    expect(snapshot.invoked[0].child.datamodel.hits).toBe(1);

    // The restored copy gets its own clock set to the same time and its own scheduler.
    const clock2 = new VirtualClock(original.clock.now());
    const scheduler2 = new ManualScheduler();
    const steps2: StepInfo[] = [];
    const r = restoreSession(original.doc, snapshot, {
      clock: clock2,
      random: seededRandom(42),
      scheduler: scheduler2.schedule,
      observer: { step: (s) => steps2.push(s) },
    });
    expect(r.configuration).toEqual(o.configuration);
    expect(Object.prototype.toString.call(r.getData('when'))).toBe('[object Date]');
    expect((r.getData('when') as Date).getTime()).toBe(86400000);
    expect([...(r.getData('seen') as Map<string, number>).entries()]).toEqual([
      ['a', 1],
      ['p1', 86400000],
    ]);
    expect([...(r.getData('tags') as Set<string>)]).toEqual(['x']);

    const steps1Before = original.steps.length;
    const drive = (s: Session, clock: VirtualClock, scheduler: ManualScheduler) => {
      s.send({ name: 'ping' });
      scheduler.drain();
      s.send({ name: 'stop' }); // autoforwarded: the child finishes, done.invoke.child follows
      scheduler.drain();
      clock.advanceTo(clock.now() + 8000); // the delayed send fires (due at +10 s)
      scheduler.drain();
    };
    drive(o, original.clock, original.scheduler);
    drive(r, clock2, scheduler2);
    const strip = (steps: StepInfo[]) => steps.map(({ sessionId: _ignored, ...rest }) => rest);
    expect(strip(steps2)).toEqual(strip(original.steps.slice(steps1Before)));
    expect(r.done).toBe(true);
    expect(o.done).toBe(true);
    expect(JSON.stringify(r.getData('log'))).toBe(JSON.stringify(o.getData('log')));
    expect(JSON.parse(JSON.stringify(r.getData('log')))).toEqual([
      'pong1',
      'pong2',
      'child done 2',
      `timer@${1_700_000_000_000 + 11_000}`, // processed when the scheduler ran, after the clock moved on
    ]);
  });
});

describe('snapshot robustness', () => {
  it('records values it cannot read (getters, proxies of strategy code) as undefined instead of failing', () => {
    const doc = compile(`<scxml ${NS} initial="s"><state id="s"><onentry><script>
      var tricky = { plain: 1, get boom() { throw new Error('no'); } };
      var proxied = new Proxy({}, { ownKeys() { while (true) {} } });
      var when = new Date(0);
    </script></onentry></state></scxml>`);
    const s = createSession(doc, { scheduler: () => {} });
    s.start();
    const snap = JSON.parse(JSON.stringify(s.snapshot()));
    const r = restoreSession(doc, snap, { scheduler: () => {} });
    expect((r.getData('tricky') as { plain: number }).plain).toBe(1);
    expect(r.getData('proxied')).toBeUndefined();
    expect((r.getData('when') as Date).getTime()).toBe(0);
  });

  it('restores functions defined by scripts, still time-bounded', () => {
    const doc = compile(`<scxml ${NS} initial="s"><datamodel><data id="out" expr="0"/></datamodel>
      <state id="s"><onentry><script>function twice(x) { return 2 * x; } var spin = () => { while (true) {} };</script></onentry>
      <transition event="use"><assign location="out" expr="twice(21)"/></transition>
      <transition event="spin"><script>spin()</script></transition>
      <transition event="error.execution" target="t"/></state><state id="t"/></scxml>`);
    const s = createSession(doc, { scheduler: () => {} });
    s.start();
    const r = restoreSession(doc, JSON.parse(JSON.stringify(s.snapshot())), { scheduler: () => {}, evaluationTimeLimitMs: 50 });
    r.send({ name: 'use' });
    r.run();
    expect(r.getData('out')).toBe(42);
    r.send({ name: 'spin' });
    r.run();
    expect(r.configuration).toEqual(['t']);
  });

  it('keeps references shared between variables, and cycles', () => {
    const doc = compile(`<scxml ${NS} initial="s"><state id="s"><onentry><script>
      var a = { n: 1 }; var b = { inner: a }; a.self = a;
    </script></onentry><transition event="bump"><script>a.n++</script></transition></state></scxml>`);
    const s = createSession(doc, { scheduler: () => {} });
    s.start();
    const r = restoreSession(doc, JSON.parse(JSON.stringify(s.snapshot())), { scheduler: () => {} });
    r.send({ name: 'bump' });
    r.run();
    const b = r.getData('b') as { inner: { n: number; self: unknown } };
    expect(b.inner.n).toBe(2);
    expect(b.inner.self).toBe(b.inner);
  });
});

describe('bad input never crashes the compiler', () => {
  const inputs = [
    '',
    'not xml at all',
    '<foo/>',
    `<scxml ${NS}><state id="a"></scxml>`,
    `<scxml ${NS}><state id="a" initial="nope"><state id="b"/></state></scxml>`,
    `<scxml ${NS}><state id="a"/><state id="a"/></scxml>`,
    `<scxml ${NS}><state id="a"><onentry><bogus/></onentry></state></scxml>`,
    `<scxml ${NS}><state id="a"><transition type="sideways"/></state></scxml>`,
    `<scxml ${NS}><state id="a"><onentry><send delay="soon"/></onentry></state></scxml>`,
    `<scxml ${NS}><final id="f"><state id="x"/></final></scxml>`,
    `<scxml ${NS} datamodel="xpath"/>`,
    `<scxml ${NS}><datamodel><data/></datamodel></scxml>`,
    `<scxml ${NS}><state id="a"><onentry><elseif/></onentry></state></scxml>`,
  ];
  for (const xml of inputs) {
    it(`rejects ${JSON.stringify(xml.slice(0, 60))} with a positioned error`, () => {
      let error: unknown;
      try {
        compile(xml);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScxmlCompileError);
      expect((error as ScxmlCompileError).line).toBeGreaterThanOrEqual(1);
      expect((error as ScxmlCompileError).column).toBeGreaterThanOrEqual(1);
    });
  }
});

describe('<invoke src> with an asynchronous document loader', () => {
  const child = compile(`<scxml ${NS} initial="c"><datamodel><data id="greeting" expr="'none'"/></datamodel>
    <state id="c"><transition event="finish" target="f"/></state>
    <final id="f"><donedata><param name="greeting" expr="greeting"/></donedata></final></scxml>`);
  const parentXml = `<scxml ${NS} initial="p"><datamodel><data id="got" expr="null"/></datamodel>
    <state id="p"><invoke id="kid" src="child.scxml" autoforward="true"><param name="greeting" expr="'hello'"/></invoke>
      <transition event="done.invoke.kid" target="end"><assign location="got" expr="_event.data.greeting"/></transition>
      <transition event="error.execution" target="failed"/></state>
    <final id="end"/><final id="failed"/></scxml>`;

  it('starts the child when the document arrives and hands it the events forwarded meanwhile', async () => {
    let release: (d: typeof child) => void = () => {};
    const loaded = new Promise<typeof child>((resolve) => (release = resolve));
    const { session, scheduler } = harness(parentXml, { loadDocument: () => loaded });
    session.start();
    session.send({ name: 'finish' }); // autoforwarded while the child is still loading
    scheduler.drain();
    expect(session.done).toBe(false);
    const snapshot = JSON.parse(JSON.stringify(session.snapshot()));
    expect(snapshot.invoked[0].child).toBeNull();
    release(child);
    await loaded;
    await Promise.resolve();
    scheduler.drain();
    expect(session.done).toBe(true);
    expect(session.getData('got')).toBe('hello');

    // The snapshot taken while loading: the restored session loads the document again.
    const scheduler2 = new ManualScheduler();
    const restored = restoreSession(compile(parentXml), snapshot, {
      scheduler: scheduler2.schedule,
      loadDocument: async () => child,
    });
    await Promise.resolve();
    await Promise.resolve();
    restored.send({ name: 'finish' });
    scheduler2.drain();
    expect(restored.done).toBe(true);
    expect(restored.getData('got')).toBe('hello');
  });

  it('turns a failed load into error.execution', async () => {
    const { session, scheduler, steps } = harness(parentXml, { loadDocument: () => Promise.reject(new Error('404')) });
    session.start();
    await new Promise((r) => setTimeout(r, 0));
    scheduler.drain();
    expect(session.done).toBe(true);
    expect(steps.at(-1)!.configuration).toEqual(['failed']);
  });
});

describe('<foreach> is bounded', () => {
  it('raising more events than the internal queue holds is an error.execution, and the session goes on', () => {
    const { session, scheduler } = harness(`<scxml ${NS} initial="s">
  <datamodel><data id="error"/><data id="ticks" expr="0"/></datamodel>
  <state id="s">
    <onentry><foreach array="new Array(1000000).fill(0)" item="x"><raise event="tick"/></foreach></onentry>
    <onentry><send event="x" target="#_internal"/></onentry>
    <transition event="error.execution" cond="error === undefined"><assign location="error" expr="_event.data.message"/></transition>
    <transition event="tick"><assign location="ticks" expr="ticks + 1"/></transition>
  </state>
</scxml>`);
    session.start();
    scheduler.drain();
    expect(session.getData('error')).toMatch(/internal event queue full \(10000 events\)/);
    expect(session.getData('ticks')).toBe(10_000);
    expect(session.configuration).toEqual(['s']);
  });

  it('items that together run longer than the evaluation limit stop the loop with error.execution', () => {
    const { session, scheduler } = harness(
      `<scxml ${NS} initial="s">
  <datamodel><data id="error"/></datamodel>
  <state id="s">
    <onentry><foreach array="new Array(1000000).fill(0)" item="x"><script>for (var i = 0; i &lt; 100; i++) {}</script></foreach></onentry>
    <transition event="error.execution"><assign location="error" expr="_event.data.message"/></transition>
  </state>
</scxml>`,
      { evaluationTimeLimitMs: 50 },
    );
    session.start();
    scheduler.drain();
    expect(session.getData('error')).toMatch(/foreach exceeded the evaluation time limit after \d+ items/);
  });
});

describe('error events strategies can handle', () => {
  it('error.execution and error.communication carry message, tag name, line and column of the innermost element', () => {
    const { session, scheduler } = harness(`<scxml ${NS} initial="s">
  <datamodel><data id="exec"/><data id="comm"/><data id="inner"/></datamodel>
  <state id="s">
    <onentry>
      <if cond="true">
        <log expr="missing.value"/>
      </if>
    </onentry>
    <onentry><send event="x" target="#_scxml_nosuchsession"/></onentry>
    <onentry><foreach array="[1]" item="i"><assign location="inner" expr="i.no.such"/></foreach></onentry>
    <transition event="error.execution" cond="exec === undefined"><assign location="exec" expr="_event.data"/></transition>
    <transition event="error.execution"><assign location="inner" expr="_event.data"/></transition>
    <transition event="error.communication"><assign location="comm" expr="_event.data"/></transition>
  </state>
</scxml>`);
    session.start();
    scheduler.drain();
    expect(session.getData('exec')).toMatchObject({ tagname: 'log', line: 6, message: expect.stringMatching(/ReferenceError: missing is not defined/) });
    expect(session.getData('comm')).toMatchObject({ tagname: 'send', line: 9, message: expect.stringMatching(/unreachable/) });
    expect(session.getData('inner')).toMatchObject({ tagname: 'assign', line: 10, message: expect.stringMatching(/TypeError/) });
    expect(typeof (session.getData('exec') as { column: unknown }).column).toBe('number');
  });

  it('runs an invoked child in its parent turn: a host that only runs the sessions it created completes a ping-pong', () => {
    const ran: string[] = [];
    const doc = compile(`<scxml ${NS} initial="talking"><datamodel><data id="pings" expr="0"/></datamodel>
      <state id="talking">
        <invoke id="child"><content><scxml ${NS} initial="a"><datamodel><data id="n" expr="0"/></datamodel>
          <state id="a"><onentry><send event="ping" target="#_parent"/></onentry>
            <transition event="pong" cond="n &lt; 2" target="a"><assign location="n" expr="n + 1"/></transition>
            <transition event="pong" target="f"/></state><final id="f"/></scxml></content></invoke>
        <transition event="ping"><assign location="pings" expr="pings + 1"/><send event="pong" target="#_child"/></transition>
        <transition event="done.invoke.child" target="completed"/>
      </state><state id="completed"/></scxml>`);
    const queue: Session[] = [];
    const session = createSession(doc, { scheduler: (s) => { ran.push((s as Session).id); queue.push(s as Session); } });
    session.start();
    for (let i = 0; i < 100 && queue.length > 0; i++) queue.shift()!.run();
    expect(session.configuration).toEqual(['completed']);
    expect(session.getData('pings')).toBe(3);
    expect(new Set(ran)).toEqual(new Set([session.id]));
  });
});
