// Escape and shared-state probes against the strategy realm, as SCXML documents, so the
// same attempts run on the interpreter alone (test/unit/scxml/realm-probes.test.ts) and
// over REST on a real `ors runtime` (test/integration/realm-isolation.test.ts). Every
// document ends in the final-free state "done" with `<data id="report">` holding what
// the attempt got: `leaked` lists anything that reached the host or another session
// (must stay empty), `errors` the error events strategy code received.
const NS = 'xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"';

/** A document that runs `script` on entry and collects error.execution data. */
function probe(name: string, script: string, data = ''): string {
  return `<scxml ${NS} name="${name}" initial="run">
  <datamodel><data id="report" expr="({ leaked: [], errors: [], seen: {} })"/>${data}</datamodel>
  <state id="run">
    <onentry><script><![CDATA[${script}]]></script></onentry>
    <onentry><raise event="probed"/></onentry>
    <transition event="error.*"><script>report.errors.push(_event.name + ': ' + (_event.data &amp;&amp; _event.data.message))</script></transition>
    <transition event="probed" target="done"/>
  </state>
  <state id="done">
    <transition event="again" target="run"/>
  </state>
</scxml>`;
}

/** Strategy code shared by the probes: is this value (or its constructor chain) from the host? */
const HOST_CHECK = `
  function fromHost(v) {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
    try {
      const ctor = v.constructor;
      if (typeof ctor !== 'function') return false;
      // Every realm function inherits from this realm's Function.prototype.
      if (!(ctor instanceof Function)) return true;
      const F = ctor.constructor;
      const got = F('return typeof process')();
      return got !== undefined;
    } catch (e) {
      return false;
    }
  }
`;

export interface RealmProbe {
  name: string;
  /** One document, or two run one after the other in two sessions (writer, then reader). */
  documents: string[];
  /** What the last document's report must show besides `leaked: []`. */
  expect(report: ProbeReport, errors: string[]): void;
}

export interface ProbeReport {
  leaked: string[];
  errors: string[];
  seen: Record<string, unknown>;
}

type Expect = (actual: unknown, message?: string) => {
  toBe(v: unknown): void;
  toEqual(v: unknown): void;
  toMatch(v: RegExp): void;
  not: { toMatch(v: RegExp): void };
  toBeGreaterThan(n: number): void;
};

export function realmProbes(expect: Expect): RealmProbe[] {
  return [
    {
      name: 'dynamic import() does not compile, and its attempt raises error.execution',
      documents: [
        probe('import', `
          const p = import('node:fs');
          p.catch(report.leaked.push.bind(report.leaked));
        `),
      ],
      expect(report) {
        expect(report.errors.length).toBeGreaterThan(0);
        expect(report.errors[0]).toMatch(/import\(\) is not available/);
      },
    },
    {
      name: 'errors of host code run with the stack exhausted are not host objects',
      documents: [
        probe('stack', `${HOST_CHECK}
          const attempts = [() => In('run'), () => Date.now(), () => new Date(), () => Math.random(), () => _event.name, () => report.x, () => undefinedName];
          let depth = 0, caught = 0;
          function dive(n) {
            try {
              return dive(n + 1);
            } catch (e) {
              depth = n;
              if (fromHost(e)) report.leaked.push('overflow error at ' + n);
              for (const f of attempts) {
                try { f(); } catch (e2) { caught++; if (fromHost(e2)) report.leaked.push('host error from ' + f + ' at ' + n); }
              }
              return n;
            }
          }
          // A few dives: each one ends at a slightly different depth, so the host calls
          // overflow at different points; the evaluation time limit must not cut them short.
          for (let i = 0; i < 6; i++) {
            dive(0);
            report.seen.caught = caught;
            report.seen.depth = depth;
          }
        `),
      ],
      expect(report) {
        expect(Number(report.seen.caught)).toBeGreaterThan(0);
      },
    },
    {
      name: 'every Function, AsyncFunction, GeneratorFunction and AsyncGeneratorFunction constructor refuses code',
      documents: [
        probe('constructors', `
          const fns = [function () {}, () => {}, function* () {}, async function () {}, async () => {}, async function* () {}, class {}];
          for (const f of fns) {
            for (let o = f; o !== null; o = Object.getPrototypeOf(o)) {
              const C = o.constructor;
              if (typeof C !== 'function') continue;
              try {
                const made = C('return process');
                if (typeof made === 'function') report.leaked.push('constructed from ' + C.name);
              } catch (e) {
                report.seen[C.name || 'anonymous'] = e.name;
              }
            }
          }
        `),
      ],
      expect(report) {
        for (const name of ['Function', 'AsyncFunction', 'GeneratorFunction', 'AsyncGeneratorFunction']) {
          expect(report.seen[name], name).toBe('EvalError');
        }
      },
    },
    {
      name: 'Error.prepareStackTrace and captureStackTrace are out of reach; stack traces show no host path',
      documents: [
        probe('stacks', `
          const mine = function (e, frames) { report.leaked.push('prepareStackTrace ran'); return frames; };
          try { Error.prepareStackTrace = mine; } catch (e) { /* strict code gets a TypeError */ }
          try { Object.defineProperty(Error, 'prepareStackTrace', { value: mine }); } catch (e) { report.seen.define = e.name; }
          report.seen.assign = Error.prepareStackTrace === mine ? 'replaced' : 'kept';
          report.seen.capture = typeof Error.captureStackTrace;
          function inner() { throw new TypeError('probe'); }
          try { inner(); } catch (e) { report.seen.stack = String(e.stack); }
          try { null.x; } catch (e) { report.seen.stack2 = String(e.stack); }
          try { In({ toString() { throw new RangeError('from toString'); } }); } catch (e) { report.seen.stack3 = String(e.stack); }
        `),
      ],
      expect(report) {
        expect(report.seen.assign).toBe('kept');
        expect(report.seen.define).toBe('TypeError');
        expect(report.seen.capture).toBe('undefined');
        for (const k of ['stack', 'stack2', 'stack3']) {
          expect(String(report.seen[k]), k).not.toMatch(/file:|\/|\\|\.ts\b|\.js\b|node:/);
        }
        expect(String(report.seen.stack)).toMatch(/^TypeError: probe\n {4}at inner \(strategy:\d+:\d+\)/);
      },
    },
    {
      name: 'no FinalizationRegistry, WeakRef, SharedArrayBuffer, Atomics or WebAssembly',
      documents: [
        probe('globals', `
          for (const name of ['FinalizationRegistry', 'WeakRef', 'SharedArrayBuffer', 'Atomics', 'WebAssembly']) {
            report.seen[name] = typeof globalThis[name];
            try { report.seen[name + 'Free'] = typeof eval(name); } catch (e) { report.seen[name + 'Free'] = e.name; }
          }
        `),
      ],
      expect(report) {
        for (const name of ['FinalizationRegistry', 'WeakRef', 'SharedArrayBuffer', 'Atomics', 'WebAssembly']) {
          expect(report.seen[name], name).toBe('undefined');
          expect(report.seen[name + 'Free'], name).toBe('EvalError');
        }
      },
    },
    {
      name: 'legacy RegExp statics do not carry one session\'s match to another',
      documents: [
        probe('regexp-writer', `
          const m = /(\\d{3})-(\\d{4})/.exec('caller 555-1234 calling');
          report.seen.matched = m && m[0];
          'secret-9876'.replace(/(\\d+)/, '#');
        `),
        probe('regexp-reader', `
          for (const k of ['$1', '$2', 'input', '$_', 'lastMatch', '$&', 'lastParen', '$+', 'leftContext', 'rightContext']) {
            const v = RegExp[k];
            if (v !== undefined && v !== '') report.leaked.push('RegExp.' + k + ' = ' + v);
          }
          report.seen.keys = Reflect.ownKeys(RegExp).map(String);
          report.seen.compile = typeof /x/.compile;
        `),
      ],
      expect(report) {
        expect(report.seen.compile).toBe('undefined');
      },
    },
    {
      name: 'intrinsics not reachable by name (iterator, Intl.Segmenter, %TypedArray%, async iterator prototypes) are frozen: one session cannot change what another runs',
      documents: [
        probe('tamper', `
          const targets = {
            arrayIterator: Object.getPrototypeOf([][Symbol.iterator]()),
            mapIterator: Object.getPrototypeOf(new Map().entries()),
            setIterator: Object.getPrototypeOf(new Set().values()),
            stringIterator: Object.getPrototypeOf(''[Symbol.iterator]()),
            regexpStringIterator: Object.getPrototypeOf(/a/g[Symbol.matchAll]('a')),
            iterator: Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
            iteratorHelper: Object.getPrototypeOf([].values().map((x) => x)),
            wrapForValidIterator: Object.getPrototypeOf(Iterator.from({ next() { return { done: true }; } })),
            segments: Object.getPrototypeOf(new Intl.Segmenter().segment('ab')),
            segmentIterator: Object.getPrototypeOf(new Intl.Segmenter().segment('ab')[Symbol.iterator]()),
            typedArray: Object.getPrototypeOf(Int8Array.prototype),
            // An instance's own prototype is its function's fresh .prototype; the shared one is next.
            generator: Object.getPrototypeOf(Object.getPrototypeOf((function* () {})())),
            asyncGenerator: Object.getPrototypeOf(Object.getPrototypeOf((async function* () {})())),
            asyncIterator: Object.getPrototypeOf(Object.getPrototypeOf(Object.getPrototypeOf((async function* () {})()))),
            arguments: Object.getPrototypeOf((function () { return arguments; })()),
          };
          for (const [name, proto] of Object.entries(targets)) {
            for (const key of Reflect.ownKeys(proto)) {
              try {
                Object.defineProperty(proto, key, { value: function evil() { return 'tampered'; } });
                report.leaked.push('replaced ' + name + '.' + String(key));
              } catch (e) { /* frozen */ }
            }
            try { proto.planted = 'x'; } catch (e) { /* frozen */ }
            if (proto.planted === 'x') report.leaked.push('planted on ' + name);
            report.seen[name] = Object.isFrozen(proto);
          }
          // Everything reachable by properties from the global object, too.
          const queue = [globalThis], visited = new Set(queue);
          let unfrozen = 0;
          while (queue.length > 0) {
            const o = queue.pop();
            if (!Object.isFrozen(o)) { unfrozen++; report.leaked.push('not frozen: ' + String(o && (o.name || o[Symbol.toStringTag]))); }
            for (const k of Reflect.ownKeys(o)) {
              const d = Object.getOwnPropertyDescriptor(o, k);
              for (const v of [d.value, d.get, d.set, Object.getPrototypeOf(o)]) {
                if (v !== null && (typeof v === 'object' || typeof v === 'function') && !visited.has(v)) { visited.add(v); queue.push(v); }
              }
            }
          }
          report.seen.walked = visited.size;
        `),
        probe('victim', `
          const out = [];
          for (const x of [1, 2]) out.push(x);
          for (const s of new Intl.Segmenter().segment('ab')) out.push(s.segment);
          out.push([...[3, 4].values().map((x) => x * 2)].join());
          out.push(new Int8Array([5]).at(0));
          report.seen.out = out.join('|');
        `),
      ],
      expect(report) {
        expect(report.seen.out).toBe('1|2|a|b|6,8|5');
      },
    },
    {
      // Without the guard the first attempt never returns (V8 cannot interrupt it).
      name: 'built-ins walking a huge array-like are refused before they start; ordinary arrays are unaffected',
      documents: [
        probe(
          'huge-array-like',
          `const huge = { length: 2 ** 53 - 1 };
          const attempts = {
            lastIndexOf: () => Array.prototype.lastIndexOf.call(huge, 1),
            includes: () => Array.prototype.includes.call(huge, 1),
            from: () => Array.from.call(Object, huge),
            forEach: () => Array.prototype.forEach.call(new Array(2 ** 32 - 1), Math.abs),
            concat: () => [].concat({ length: 2 ** 32, [Symbol.isConcatSpreadable]: true }),
            typedFrom: () => Uint8Array.from(huge),
          };
          report.seen.refused = Object.keys(attempts).filter((k) => {
            try { attempts[k](); return false; } catch (e) { return e instanceof RangeError && /above the limit/.test(e.message); }
          }).join();
          report.seen.ordinary = [1, 2, 3].lastIndexOf(3) + ':' + [1].concat([2], 3).join('-') + ':' + Array.from({ length: 2 }, (_, i) => i).join() + ':' + Array.prototype.indexOf.length;`,
        ),
      ],
      expect(report) {
        expect(report.seen.refused).toBe('lastIndexOf,includes,from,forEach,concat,typedFrom');
        expect(report.seen.ordinary).toBe('2:1-2-3:0,1:1');
      },
    },
    {
      // Without the check, the stand-in (a built-in: not instrumented) turns every loop
      // check of the function off, and a loop after it runs until the watchdog.
      name: 'strategy code cannot rebind or shadow the loop-check helper',
      documents: [
        probe(
          'loop-check-helper',
          `__scxml_rt = { tick: Math.abs }; report.seen.ran = true;`,
          `<data id="shadowed" expr="(function () { with ({ __scxml_rt: { tick: Math.abs } }) { return 1; } })()"/>`,
        ),
      ],
      expect(report) {
        expect(report.seen.ran).toBe(undefined);
        expect(report.errors.join('\n')).toMatch(/with statements are not available to strategy code/);
        expect(report.errors.join('\n')).toMatch(/__scxml_rt is reserved for the interpreter/);
      },
    },
    {
      name: 'a catastrophic regular expression finishes (linear engine fallback)',
      documents: [probe('redos', `report.seen.result = /(a+)+$/.test('a'.repeat(40) + 'b');`)],
      expect(report) {
        expect(report.seen.result).toBe(false);
      },
    },
  ];
}
