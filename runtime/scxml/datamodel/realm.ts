// The one JavaScript realm in which every session's ECMAScript datamodel lives. The
// isolation model, the routes it closes and why it is not SES: REALM.md beside this file.
//
// Why one shared realm and not a `vm` context per session: a context costs ~0.5 ms and
// ~145 KB, which is what makes SCION slow and heavy. Here every document's expressions
// are compiled once into functions of this realm, and a session is just a scope object
// (a Proxy over its own data object) passed to those functions. Isolation comes from:
//  - the realm is a fresh `vm` context: no `require`, `process`, host globals, no code
//    generation from strings, no dynamic import() (refused when compiling);
//  - its intrinsics, including those no property reaches, and its global object are
//    deep-frozen after set-up, and realm-wide mutable state (the legacy RegExp statics)
//    is removed, so one session cannot pollute or read what another sees;
//  - everything strategy code can touch (scope handler, errors it throws, `_event`,
//    imported event data, errors of the host callbacks it can cause) is created inside
//    the realm, so no constructor chain leads to the host's `Function`;
//  - every loop body and function entry calls `tick()`, which throws once the
//    evaluation's deadline has passed (and always outside an evaluation), so an infinite
//    loop becomes `error.execution` without a watchdog thread.
import v8 from 'node:v8';
import vm from 'node:vm';
import { assertNoDynamicImport } from './dynamic-import.ts';
import { assertNoInstrumentationTampering } from './instrumentation-guard.ts';

/** Functions created inside the realm; the host calls them, strategy code never sees them. */
export interface RealmApi {
  /** Creates a session scope: [proxy given to compiled code, raw data object]. */
  createScope(isActive: (id: string) => boolean): [object, Record<string, unknown>];
  /** Object handed to compiled code as `__scxml_rt`: `tick()` only. */
  runtime: object;
  /** Starts an evaluation that may run for `limitMs`. */
  setDeadline(limitMs: number): void;
  globalNames(): string[];
  clearDeadline(): void;
  /** A DOM-like object (getElementsByTagName, getAttribute, childNodes, textContent) for XML content. */
  makeDom(tree: unknown): unknown;
  /** The tree of a DOM-like value made by makeDom, or undefined for other values. */
  domTree(value: unknown): { n: string; a: Record<string, string>; c: unknown[] } | undefined;
  /** The `_ioprocessors` value of a session. */
  makeIoProcessors(sessionId: string, extra: Record<string, { location: string }> | undefined): object;
  /** Deep copy of a host value into realm objects (for event data, parameters). */
  importValue(value: unknown): unknown;
  makeEvent(
    name: string,
    type: string,
    sendid: unknown,
    origin: unknown,
    origintype: unknown,
    invokeid: unknown,
    data: unknown,
    raw: string | undefined,
  ): object;
  /** JSON-safe encoding of a realm value (Date, Map, Set, RegExp, undefined, NaN, BigInt, functions by source, cycles). */
  encode(value: unknown): unknown;
  decode(encoded: unknown, scope: object, data: object): unknown;
  /** Encodes all variables of a datamodel at once, so references shared between variables survive. */
  encodeVariables(data: object, skip: string[]): Record<string, unknown>;
  decodeVariables(encoded: Record<string, unknown>, scope: object, data: object): void;
  /** Compiles many function sources at once (`(function(...){...})` each); a string entry is a SyntaxError message. */
  compileAll(sources: string[]): Array<((...args: unknown[]) => unknown) | string>;
  /** Whose clock and random source `Date`/`Math.random` use from now on. */
  setSession(clock: { now(): number }, random: () => number): void;
  /** Names of the realm's global object (resolve there, not in the datamodel). */
  isGlobal(name: string): boolean;
  /** Whether a promise was created by strategy code (in this realm). */
  isRealmPromise(promise: unknown): boolean;
  /** Makes a value (from evaluation) into a string the host can log safely. */
  describe(value: unknown): string;
  /** The text of a thrown value: "Name: message" for errors, else as describe(). */
  describeError(value: unknown): string;
}

// Runs inside the realm. Plain JavaScript in a string because it must be created by the
// realm's own Function, not the host's.
const REALM_SOURCE = String.raw`
(function (hostNow, hostSessionNow, hostSessionRandom, hostCompile, hostCompileRestored) {
  'use strict';
  const G = globalThis;
  const SYSTEM = new Set(['_event', '_sessionid', '_name', '_ioprocessors', 'In']);
  // Plain assignment, except for names an object inherits read-only from the frozen
  // Object.prototype (the "override mistake") and __proto__.
  const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));
  function put(o, k, v) {
    if (INHERITED.has(k)) Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
    else o[k] = v;
  }
  const SCXML_TYPE = 'http://www.w3.org/TR/scxml/#SCXMLEventProcessor';
  function makeIoProcessors(sessionId, extra) {
    const scxml = { location: '#_scxml_' + sessionId };
    const io = { [SCXML_TYPE]: scxml, scxml };
    if (extra) for (const k of Object.keys(extra)) put(io, k, { location: String(extra[k].location) });
    return io;
  }
  // Host functions strategy code can cause to run (the clocks, the random source, In()'s
  // configuration check) are called through these wrappers: if the host function throws
  // (e.g. a RangeError because strategy code exhausted the stack just before), its error
  // is a host object whose constructor chain leads to the host's Function; strategy code
  // gets a realm error instead.
  function hostCallFailed() {
    return new RangeError('host call failed (stack exhausted?)');
  }
  function guardHost(f) {
    return function () {
      try {
        return +f();
      } catch (e) {
        throw hostCallFailed();
      }
    };
  }
  hostNow = guardHost(hostNow);
  hostSessionNow = guardHost(hostSessionNow);
  hostSessionRandom = guardHost(hostSessionRandom);

  let deadline = -Infinity;
  let counter = 0;
  let expired = true;

  function TimeLimitExceeded() {
    return new RangeError('evaluation time limit exceeded');
  }
  // The clock is read only every 1024 ticks, and the evaluation's start only then: code
  // without loops never pays for a clock read.
  let started = -1;
  const runtime = Object.freeze({
    tick() {
      if (expired) throw TimeLimitExceeded();
      if ((++counter & 1023) === 0) {
        const now = hostNow();
        if (started < 0) started = now;
        else if (now - started > deadline) {
          expired = true;
          throw TimeLimitExceeded();
        }
      }
    },
    missing(name) {
      throw new ReferenceError(name + ' is not defined');
    },
    readonly(name) {
      throw new TypeError('cannot assign to system variable ' + name);
    },
  });

  const handler = {
    has(data, key) {
      if (typeof key !== 'string') return false;
      if (key in data) return true;
      if (key.startsWith('__scxml_')) return false;
      return !(key in G);
    },
    get(data, key) {
      if (typeof key !== 'string') return undefined;
      if (key in data) return data[key];
      throw new ReferenceError(key + ' is not defined');
    },
    set(data, key, value) {
      if (typeof key !== 'string') return false;
      if (SYSTEM.has(key)) throw new TypeError('cannot assign to system variable ' + key);
      data[key] = value;
      return true;
    },
    deleteProperty(data, key) {
      if (SYSTEM.has(key)) throw new TypeError('cannot delete system variable ' + key);
      return delete data[key];
    },
    defineProperty(data, key, desc) {
      if (SYSTEM.has(key)) throw new TypeError('cannot redefine system variable ' + key);
      return Reflect.defineProperty(data, key, desc);
    },
  };

  // A session's variables live in an object whose prototype is this frozen, empty one
  // rather than none: V8 keeps objects made by Object.create(null) in dictionary mode, a
  // third of an idle session's memory. Nothing is inherited either way.
  const SCOPE_PROTOTYPE = Object.freeze(Object.create(null));
  function createScope(isActive) {
    const data = Object.create(SCOPE_PROTOTYPE);
    Object.defineProperty(data, 'In', {
      value: function In(id) {
        const key = String(id);
        try {
          return isActive(key) === true;
        } catch (e) {
          throw hostCallFailed();
        }
      },
      enumerable: false, writable: false, configurable: false,
    });
    return [new Proxy(data, handler), data];
  }

  function importValue(v, seen) {
    if (v === null || typeof v !== 'object') {
      return typeof v === 'function' ? undefined : v;
    }
    seen = seen || new Map();
    if (seen.has(v)) return seen.get(v);
    if (v instanceof XmlDocument) return makeDom(domTree(v.documentElement));
    let out;
    if (Array.isArray(v)) {
      out = [];
      seen.set(v, out);
      for (let i = 0; i < v.length; i++) out.push(importValue(v[i], seen));
      return out;
    }
    const tag = Object.prototype.toString.call(v);
    if (tag === '[object Date]') return new Date(Date.prototype.getTime.call(v));
    if (tag === '[object RegExp]') return new RegExp(v.source, v.flags);
    if (tag === '[object Map]') {
      out = new Map();
      seen.set(v, out);
      for (const [k, val] of Map.prototype.entries.call(v)) out.set(importValue(k, seen), importValue(val, seen));
      return out;
    }
    if (tag === '[object Set]') {
      out = new Set();
      seen.set(v, out);
      for (const val of Set.prototype.values.call(v)) out.add(importValue(val, seen));
      return out;
    }
    out = {};
    seen.set(v, out);
    for (const k of Object.keys(v)) put(out, k, importValue(v[k], seen));
    return out;
  }

  // A small read-mostly DOM for XML content in the datamodel (SCXML B.2.2): enough for
  // strategies that walk XML data; not a full W3C DOM.
  class XmlNode {}
  class XmlText extends XmlNode {
    constructor(text) { super(); this.nodeType = 3; this.nodeName = '#text'; this.nodeValue = text; }
    get textContent() { return this.nodeValue; }
  }
  class XmlElement extends XmlNode {
    constructor(name, attributes, children) {
      super();
      this.nodeType = 1;
      this.nodeName = name;
      this.tagName = name;
      this.attributes = attributes;
      this.childNodes = children;
    }
    getAttribute(name) { return Object.prototype.hasOwnProperty.call(this.attributes, name) ? this.attributes[name] : null; }
    hasAttribute(name) { return Object.prototype.hasOwnProperty.call(this.attributes, name); }
    setAttribute(name, value) { put(this.attributes, name, String(value)); }
    get children() { return this.childNodes.filter((c) => c.nodeType === 1); }
    get firstChild() { return this.childNodes[0] || null; }
    get textContent() { return this.childNodes.map((c) => c.textContent).join(''); }
    getElementsByTagName(name) {
      const out = [];
      const visit = (el) => {
        for (const c of el.childNodes) {
          if (c.nodeType !== 1) continue;
          if (name === '*' || c.tagName === name) out.push(c);
          visit(c);
        }
      };
      visit(this);
      return out;
    }
  }
  class XmlDocument extends XmlElement {
    constructor(root) { super('#document', {}, [root]); this.nodeType = 9; this.documentElement = root; }
  }
  function makeElement(tree) {
    const attributes = {};
    for (const k of Object.keys(tree.a)) put(attributes, k, String(tree.a[k]));
    return new XmlElement(String(tree.n), attributes,
      tree.c.map((c) => (typeof c === 'string' ? new XmlText(c) : makeElement(c))));
  }
  function makeDom(tree) { return new XmlDocument(makeElement(tree)); }
  function domTree(el) {
    return { n: el.tagName, a: Object.assign({}, el.attributes),
      c: el.childNodes.map((c) => (c.nodeType === 3 ? c.nodeValue : domTree(c))) };
  }

  function makeEvent(name, type, sendid, origin, origintype, invokeid, data, raw) {
    return raw === undefined
      ? { name, type, sendid, origin, origintype, invokeid, data }
      : { name, type, sendid, origin, origintype, invokeid, data, raw };
  }

  // Snapshot encoding: plain JSON values stay as they are, except objects/arrays get
  // their identity recorded so shared references and cycles survive; everything else
  // is a tagged object {"$t": tag, ...}. Plain objects that happen to own a "$t" key
  // are wrapped too, so decoding is unambiguous.
  function encode(value) {
    return makeEncoder()(value);
  }
  function encodeVariables(data, skip) {
    const enc = makeEncoder();
    const out = {};
    for (const k of Object.keys(data)) if (!skip.includes(k)) put(out, k, enc(data[k]));
    return out;
  }
  function makeEncoder() {
    const ids = new Map();
    // Strategy code never runs here (tick() throws outside evaluations), so getters,
    // proxies and toJSON of strategy objects fail; such values are recorded as undefined
    // rather than failing the whole snapshot.
    function enc(v) {
      try {
        return encValue(v);
      } catch (e) {
        return { $t: 'u' };
      }
    }
    function encValue(v) {
      switch (typeof v) {
        case 'undefined': return { $t: 'u' };
        case 'number':
          if (Number.isFinite(v)) return Object.is(v, -0) ? { $t: 'n', v: '-0' } : v;
          return { $t: 'n', v: String(v) };
        case 'bigint': return { $t: 'b', v: v.toString() };
        case 'string': case 'boolean': return v;
        case 'symbol': return { $t: 'u' };
        case 'function': {
          if (ids.has(v)) return { $t: 'r', id: ids.get(v) };
          const id = ids.size; ids.set(v, id);
          return { $t: 'f', id, src: Function.prototype.toString.call(v) };
        }
      }
      if (v === null) return null;
      if (ids.has(v)) return { $t: 'r', id: ids.get(v) };
      const id = ids.size; ids.set(v, id);
      if (Array.isArray(v)) return { $t: 'a', id, v: v.map(enc) };
      if (v instanceof XmlDocument) return { $t: 'X', id, v: domTree(v.documentElement) };
      const tag = Object.prototype.toString.call(v);
      if (tag === '[object Date]') return { $t: 'd', id, v: Date.prototype.getTime.call(v) };
      if (tag === '[object RegExp]') return { $t: 'x', id, s: v.source, f: v.flags, l: v.lastIndex };
      if (tag === '[object Map]') {
        const entries = [];
        for (const [k, val] of Map.prototype.entries.call(v)) entries.push([enc(k), enc(val)]);
        return { $t: 'm', id, v: entries };
      }
      if (tag === '[object Set]') {
        const items = [];
        for (const val of Set.prototype.values.call(v)) items.push(enc(val));
        return { $t: 's', id, v: items };
      }
      const props = {};
      for (const k of Object.keys(v)) {
        let x;
        try { x = v[k]; } catch (e) { x = undefined; }
        put(props, k, enc(x));
      }
      return { $t: 'o', id, v: props };
    }
    return enc;
  }

  function decode(value, scope, data) {
    return makeDecoder(scope, data)(value);
  }
  function decodeVariables(encoded, scope, data) {
    const dec = makeDecoder(scope, data);
    for (const k of Object.keys(encoded)) data[k] = dec(encoded[k]);
  }
  function makeDecoder(scope, data) {
    const byId = new Map();
    const rebuild = [];
    function dec(e) {
      if (e === null || typeof e !== 'object') return e;
      switch (e.$t) {
        case 'u': return undefined;
        case 'n': return e.v === '-0' ? -0 : Number(e.v);
        case 'b': return BigInt(e.v);
        case 'r': return byId.get(e.id);
        case 'd': { const d = new Date(e.v); byId.set(e.id, d); return d; }
        case 'x': { const r = new RegExp(e.s, e.f); r.lastIndex = e.l; byId.set(e.id, r); return r; }
        case 'f': {
          // Functions come back from their source, re-created in the session's scope
          // (closed-over locals other than datamodel variables are not preserved).
          let f;
          try {
            // The source is already instrumented (it calls __scxml_rt.tick()).
            const make = hostCompileRestored(e.src);
            f = make(scope, data, runtime);
          } catch (err) {
            f = undefined;
          }
          byId.set(e.id, f);
          return f;
        }
        case 'X': { const d = makeDom(e.v); byId.set(e.id, d); return d; }
        case 'a': { const a = []; byId.set(e.id, a); for (const x of e.v) a.push(dec(x)); return a; }
        case 'm': { const m = new Map(); byId.set(e.id, m); for (const [k, x] of e.v) m.set(dec(k), dec(x)); return m; }
        case 's': { const s = new Set(); byId.set(e.id, s); for (const x of e.v) s.add(dec(x)); return s; }
        case 'o': { const o = {}; byId.set(e.id, o); for (const k of Object.keys(e.v)) put(o, k, dec(e.v[k])); return o; }
      }
      throw new TypeError('bad snapshot value');
    }
    return dec;
  }

  function compileAll(sources) {
    return sources.map((s) => {
      try {
        return hostCompile(s);
      } catch (e) {
        return String(e && e.message || e);
      }
    });
  }

  function describeError(v) {
    try {
      if (v instanceof Error) return String(v.name) + ': ' + String(v.message);
    } catch (e) { /* a strategy getter: fall back to describe */ }
    return describe(v);
  }
  function describe(v) {
    try {
      if (typeof v === 'string') return v;
      if (v === undefined) return 'undefined';
      if (typeof v === 'function') return '[function]';
      const s = JSON.stringify(v);
      return s === undefined ? String(v) : s;
    } catch (e) {
      try { return String(v); } catch (e2) { return '[unprintable]'; }
    }
  }

  // Determinism: Math.random and argument-less Date use the current session's injected
  // sources.
  const OriginalDate = Date;
  function SessionDate(...args) {
    if (!new.target) return new OriginalDate(hostSessionNow()).toString();
    if (args.length === 0) return Reflect.construct(OriginalDate, [hostSessionNow()], new.target);
    return Reflect.construct(OriginalDate, args, new.target);
  }
  SessionDate.prototype = OriginalDate.prototype;
  Object.defineProperty(OriginalDate.prototype, 'constructor', { value: SessionDate });
  SessionDate.now = function now() { return hostSessionNow(); };
  SessionDate.parse = OriginalDate.parse;
  SessionDate.UTC = OriginalDate.UTC;
  Object.defineProperty(G, 'Date', { value: SessionDate, writable: false, configurable: false });
  Object.defineProperty(Math, 'random', { value: function random() { return hostSessionRandom(); } });

  // Built-ins that walk an array-like's length in C++/Torque never reach tick(), and V8
  // cannot interrupt them (worker.terminate() waits for them): one call such as
  // Array.prototype.lastIndexOf.call({ length: 2 ** 53 - 1 }, x) would hold its thread, and a
  // core, for good. Every built-in that walks a receiver's (or argument's) length is
  // wrapped to refuse lengths above MAX_WALKED_LENGTH before it starts; a real array that
  // large would hold 128 MB of elements.
  const MAX_WALKED_LENGTH = 2 ** 24;
  function walkedLength(value) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return 0;
    const n = +value.length;
    return n > 0 ? n : 0;
  }
  function refuseLength(name, n) {
    throw new RangeError(name + ': length ' + n + ' is above the limit of ' + MAX_WALKED_LENGTH + ' for strategy code');
  }
  const ArrayProto = Array.prototype;
  function guardMethod(owner, name, check) {
    const original = owner[name];
    if (typeof original !== 'function') return;
    const label = name;
    // A method (no [[Construct]], no prototype), named and sized like the original.
    const wrapped = {
      [name](...args) {
        check(this, args, label);
        return Reflect.apply(original, this, args);
      },
    }[name];
    Object.defineProperty(wrapped, 'length', { value: original.length });
    Object.defineProperty(owner, name, { value: wrapped });
  }
  const checkReceiver = (self, args, label) => {
    const n = walkedLength(self);
    if (n > MAX_WALKED_LENGTH) refuseLength(label, n);
  };
  for (const name of [
    'indexOf', 'lastIndexOf', 'includes', 'join', 'toString', 'toLocaleString', 'reverse', 'fill', 'copyWithin',
    'every', 'some', 'forEach', 'map', 'filter', 'reduce', 'reduceRight', 'find', 'findIndex', 'findLast',
    'findLastIndex', 'slice', 'splice', 'flat', 'flatMap', 'sort', 'toReversed', 'toSorted', 'toSpliced', 'with',
    'unshift', 'shift',
  ]) {
    guardMethod(ArrayProto, name, checkReceiver);
  }
  // concat spreads its receiver and every spreadable argument.
  guardMethod(ArrayProto, 'concat', (self, args, label) => {
    checkReceiver(self, args, label);
    for (const a of args) {
      if (a === null || typeof a !== 'object') continue;
      const spreadable = a[Symbol.isConcatSpreadable];
      if (spreadable === undefined ? Array.isArray(a) : spreadable) checkReceiver(a, args, label);
    }
  });
  // Array.from / %TypedArray%.from over an array-like (not an iterable: an iterator's next()
  // is bounded by the heap instead).
  const checkSource = (self, args, label) => {
    const source = args[0];
    if (source !== null && source !== undefined && source[Symbol.iterator] === undefined) checkReceiver(source, args, label);
  };
  guardMethod(Array, 'from', checkSource);
  const TypedArray = Object.getPrototypeOf(Uint8Array);
  guardMethod(TypedArray, 'from', checkSource);

  // Blocking primitives that would stall the thread without ticking, code that escapes
  // the loop instrumentation, and callbacks the garbage collector runs (outside any
  // evaluation, where a throw would take the process down) or that observe collection.
  for (const name of ['Atomics', 'SharedArrayBuffer', 'WebAssembly', 'FinalizationRegistry', 'WeakRef']) delete G[name];
  // Legacy RegExp statics (RegExp.$1, RegExp.input, RegExp.lastMatch...) hold the last
  // match of the whole realm: one session would read another's caller number.
  for (const k of Reflect.ownKeys(RegExp)) {
    if (k !== 'length' && k !== 'name' && k !== 'prototype' && k !== Symbol.species) delete RegExp[k];
  }
  delete RegExp.prototype.compile;
  // Stack traces: only frames of strategy code, without host paths; V8's hooks are not
  // reachable (prepareStackTrace is this realm's own, frozen; no captureStackTrace).
  delete Error.captureStackTrace;
  const STRATEGY_FILE = 'scxml-strategy.js';
  function prepareStackTrace(error, frames) {
    let head;
    try {
      head = String(error.name) + ': ' + String(error.message);
    } catch (e) {
      head = 'Error';
    }
    if (!Array.isArray(frames)) return head;
    for (const f of frames) {
      try {
        if (f.getFileName() !== STRATEGY_FILE) continue;
        const name = f.getFunctionName();
        head += '\n    at ' + (name ? String(name) : '<anonymous>') + ' (strategy:' + f.getLineNumber() + ':' + f.getColumnNumber() + ')';
      } catch (e) {
        break;
      }
    }
    return head;
  }
  Object.defineProperty(Error, 'prepareStackTrace', { value: prepareStackTrace, writable: false, configurable: false });

  // Harden: freeze every intrinsic reachable from the global object, then the global.
  const seen = new Set();
  function deepFreeze(o) {
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) return;
    seen.add(o);
    try {
      Object.freeze(o);
    } catch (e) {
      // The context's global object refuses freeze(); lock its properties one by one.
      for (const k of Reflect.ownKeys(o)) {
        const d = Object.getOwnPropertyDescriptor(o, k);
        if (d && d.configurable) {
          try {
            Object.defineProperty(o, k, 'value' in d
              ? { value: d.value, writable: false, enumerable: d.enumerable, configurable: false }
              : { get: d.get, set: d.set, enumerable: d.enumerable, configurable: false });
          } catch (e2) { /* ignore */ }
        }
      }
      try { Object.preventExtensions(o); } catch (e3) { /* the host locks the sandbox */ }
    }
    for (const k of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      if (!d) continue;
      if ('value' in d) deepFreeze(d.value);
      else { deepFreeze(d.get); deepFreeze(d.set); }
    }
    deepFreeze(Object.getPrototypeOf(o));
  }
  // Intrinsics that no property path reaches (%ArrayIteratorPrototype%, %SegmentsPrototype%,
  // %IteratorHelperPrototype%, %WrapForValidIteratorPrototype%...) are found by using the
  // built-ins themselves, not from a list: every function reachable from the global object
  // is called and constructed, every method and getter of every prototype found is called
  // on an instance of it, each with a few argument lists, and whatever comes back is
  // explored the same way until no new prototype turns up. Only syntax-made values
  // (generators, async functions, arguments objects) seed the search. Built-ins touch
  // nothing but their receiver and arguments here (the realm's shared state, the RegExp
  // statics, is gone already). Everything found is then deep-frozen.
  const noop = function () {};
  const ARGUMENT_LISTS = [[], ['a', noop], [noop, 'a'], [1]];
  const found = [G];
  const exploredPrototypes = new Set();
  const exemplars = [];
  function exemplar(v) {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return;
    found.push(v);
    // Methods are called on fresh objects only: called on an intrinsic (Array.prototype is
    // an array) they would change it, and V8 drops its fast paths for good once, e.g.,
    // Array.prototype has an element.
    if (reachable.has(v)) return;
    if (typeof v.then === 'function') try { v.then(noop, noop); } catch (e) { /* not a promise */ }
    const proto = Object.getPrototypeOf(v);
    if (proto === null || exploredPrototypes.has(proto)) return;
    exploredPrototypes.add(proto);
    exemplars.push(v);
  }
  function collectFunctions(root, out, visited) {
    if (root === null || (typeof root !== 'object' && typeof root !== 'function') || visited.has(root)) return;
    visited.add(root);
    if (typeof root === 'function') out.push(root);
    for (const k of Reflect.ownKeys(root)) {
      const d = Object.getOwnPropertyDescriptor(root, k);
      if (d && 'value' in d) collectFunctions(d.value, out, visited);
      else if (d) { collectFunctions(d.get, out, visited); collectFunctions(d.set, out, visited); }
    }
    collectFunctions(Object.getPrototypeOf(root), out, visited);
  }
  const functions = [];
  const reachable = new Set();
  collectFunctions(G, functions, reachable);
  const shapeBefore = [...reachable].map((o) => Reflect.ownKeys(o).length);
  for (const F of functions) {
    let made = false;
    for (const args of [[], ['a']]) {
      if (made) break;
      try { exemplar(Reflect.construct(F, args)); made = true; } catch (e) { /* not constructible so */ }
    }
    if (!made) {
      for (const args of [['a', noop], [noop]]) {
        try { exemplar(Reflect.apply(F, undefined, args)); } catch (e) { /* not callable so */ }
      }
    }
  }
  for (const v of [
    function* () {}, async function () {}, async function* () {}, (function* () {})(), (async function* () {})(),
    (function () { return arguments; })(), (function () { 'use strict'; return arguments; })(),
  ]) exemplar(v);
  const methodsCalled = new Set();
  for (let i = 0; i < exemplars.length && i < 10000; i++) {
    const v = exemplars[i];
    for (let p = Object.getPrototypeOf(v); p !== null; p = Object.getPrototypeOf(p)) {
      // Each prototype's methods are called once, on the first instance that inherits them.
      if (methodsCalled.has(p)) continue;
      methodsCalled.add(p);
      for (const k of Reflect.ownKeys(p)) {
        const d = Object.getOwnPropertyDescriptor(p, k);
        if (k === 'constructor' || !d) continue;
        const fn = 'value' in d ? d.value : d.get;
        if (typeof fn !== 'function') continue;
        for (const args of ARGUMENT_LISTS) {
          try { exemplar(Reflect.apply(fn, v, args)); } catch (e) { /* wrong receiver or arguments */ }
        }
      }
    }
  }
  // The search must have left every intrinsic as it was.
  [...reachable].forEach((o, i) => {
    if (Reflect.ownKeys(o).length !== shapeBefore[i]) throw new Error('realm set-up changed an intrinsic: ' + String(o && o.name));
  });
  for (const x of found) deepFreeze(x);

  for (const x of [XmlDocument, XmlElement, XmlText, XmlNode, runtime, prepareStackTrace]) deepFreeze(x);

  const api = {
    createScope, runtime, importValue, makeIoProcessors, makeDom, encodeVariables, decodeVariables,
    domTree(v) { return v instanceof XmlDocument ? domTree(v.documentElement) : v instanceof XmlElement ? domTree(v) : undefined; }, makeEvent, encode, decode, compileAll, describe, describeError,
    setDeadline(limit) { deadline = limit; started = -1; counter = 0; expired = false; },
    clearDeadline() { expired = true; },
    isGlobal(name) { return name in G; },
    globalNames() { return Object.getOwnPropertyNames(G); },
    isRealmPromise(p) { return p instanceof Promise; },
  };
  return api;
})
`;

let sessionClock: { now(): number } = Date;
let sessionRandom: () => number = Math.random;

let realm: RealmApi | undefined;

/**
 * A promise that strategy code rejects and never handles (`Promise.reject()`, a failed
 * `import()`) must not take the host process down (Node's default for unhandled
 * rejections is to crash). Rejections of realm promises are ignored; any other keeps the
 * default behaviour unless the host has its own handler.
 */
function guardUnhandledRejections(isRealmPromise: (p: unknown) => boolean): void {
  process.on('unhandledRejection', (reason, promise) => {
    if (isRealmPromise(promise)) return;
    if (process.listenerCount('unhandledRejection') === 1) throw reason;
  });
}

/** The process-wide realm, created on first use. */
export function getRealm(): RealmApi {
  if (realm) return realm;
  // DONT_CONTEXTIFY: an ordinary global object without the host interceptors of a
  // contextified sandbox, so it can be frozen like any object.
  // Catastrophic regular-expression backtracking (ReDoS) would block without ticking:
  // let V8 switch such a match to its linear-time engine. Process-wide, and harmless for
  // the host's own expressions (same results, only a different engine when a match
  // backtracks excessively; patterns with backreferences or lookarounds cannot switch).
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  const context = vm.createContext(vm.constants.DONT_CONTEXTIFY, {
    name: 'scxml-datamodel',
    // No eval/Function from strategy code: code it generated would escape the loop
    // instrumentation. The host compiles (instrumented) code into the context instead.
    codeGeneration: { strings: false, wasm: false },
  });
  const factory = vm.runInContext(REALM_SOURCE, context, { filename: 'scxml-realm.js' }) as (
    hostNow: () => number,
    now: () => number,
    random: () => number,
    compile: (source: string) => (...args: unknown[]) => unknown,
    compileRestored: (source: string) => (...args: unknown[]) => unknown,
  ) => Omit<RealmApi, 'setSession'>;
  const compileInRealm = (source: string) =>
    vm.runInContext(source, context, { filename: 'scxml-strategy.js' }) as (...args: unknown[]) => unknown;
  const api = factory(
    () => performance.now(),
    () => sessionClock.now(),
    () => sessionRandom(),
    compileInRealm,
    // A function's source from a snapshot was compiled (and checked) before, but the
    // snapshot store is outside the realm: check again.
    // Checked alone, then put in the wrapper that gives it its scope and loop check.
    (source: string) => {
      assertNoDynamicImport(source);
      assertNoInstrumentationTampering(source);
      return compileInRealm(`(function (__scxml_scope, __scxml_data, __scxml_rt) { with (__scxml_scope) { return (${source}\n); } })`);
    },
  );
  guardUnhandledRejections(api.isRealmPromise);
  realm = {
    ...api,
    setSession(clock, random) {
      sessionClock = clock;
      sessionRandom = random;
    },
  };
  return realm;
}
