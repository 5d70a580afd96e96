// The SCXML interpreter: a pure library (no HTTP, no files, no timers of its own unless
// you take the defaults). W3C SCXML 1.0 semantics (Appendix D), ECMAScript datamodel in
// one shared hardened realm, JSON snapshots that include delayed sends and invoked
// children.
//
// Example:
//
//   import { compile, createSession, restoreSession, ScxmlCompileError } from './runtime/scxml/index.ts';
//
//   const doc = compile(xmlText, {
//     sourceName: 'strategy.scxml',
//     extensions: { 'http://www.genesyslab.com/modules/session': { start: sessionStartHandler } },
//     loadSource: (src) => readStrategyFile(src),          // <data src>, <script src>
//   });                                                     // throws ScxmlCompileError {line, column, element}
//   doc.attributes._persist;                                // "true" | undefined
//   doc.data.filter((d) => d.attributes._type === 'parameter');
//
//   const session = createSession(doc, {
//     sessionId: 'abc-node1',
//     clock,                                   // { now(), setTimer(due, fire), clearTimer(h) }
//     random,                                  // () => number in [0, 1)
//     logger: (label, value, id) => log.info({ id, label, value }),
//     data: { caller: '555-1234' },            // overrides initial values of top-level <data> by id
//     ioProcessors: { [BASIC_HTTP_PROCESSOR]: basicHttp },
//     registry,                                // shared: #_scxml_<id> targets across sessions
//     observer: { step: (s) => metrics.step(s), done: (id, data) => forget(id) },
//     scheduler: (s) => workQueue.push(s),     // the host later calls s.run() with a free worker
//     services: orsServices,                   // handed to extension elements
//     loadDocument: (src) => strategyCache.get(src),   // <invoke src>: a document or a Promise of one
//     evaluationTimeLimitMs: 1000,             // per script/expression; beyond it: error.execution
//   });
//   session.start();                           // initial macrostep, synchronously
//   session.send({ name: 'call.answered', data: { id: 7 } });   // queues; scheduler is called
//   session.run();                             // processes queued events until stable
//   session.configuration;                     // ['main', 'waiting']
//   session.done; session.doneData;
//   const snap = session.snapshot();           // JSON-serialisable; take it when run() returned
//   const again = restoreSession(doc, JSON.parse(JSON.stringify(snap)), { clock, random, scheduler });
//   session.terminate();
//
// Extension elements (foreign namespace, inside executable content) are compiled by a
// handler once and run with an ExecutionContext:
//
//   const sessionStartHandler: ExtensionElementHandler = {
//     compile(el, tools) {
//       const src = tools.expression(el.attributes.srcexpr ?? `'${el.attributes.src}'`, el);
//       return (ctx) => {
//         const url = ctx.evaluate(src);
//         (ctx.services as Ors).startSession(String(url)).then(
//           (id) => ctx.enqueue({ name: 'session.started', data: { id } }),
//           (e) => ctx.enqueue({ name: 'error.session.start', data: { message: String(e) } }),
//         );
//       };
//     },
//   };
import type { ScxmlDocument } from './document.ts';
import { Session } from './session/session.ts';
import type { SessionSnapshot } from './session/snapshot.ts';
import { getRealm } from './datamodel/realm.ts';
import type { SessionOptions } from './types.ts';

export { compile, ScxmlDocument } from './document.ts';
export type { DataDeclaration } from './document.ts';
export type { CompileWarning } from './compile.ts';
export { parseDelay } from './compile.ts';
export { ScxmlCompileError } from './xml.ts';
export { externalSources } from './external-sources.ts';
export { Session } from './session/session.ts';
export { SCXML_PROCESSOR, BASIC_HTTP_PROCESSOR } from './session/state.ts';
export type { SessionSnapshot } from './session/snapshot.ts';
export type * from './types.ts';

/**
 * Creates this thread's strategy realm now rather than with the first document: its
 * set-up (freezing every intrinsic) takes 0.2 s and more on a loaded machine, which a
 * host should spend before it takes traffic, not inside its first request.
 */
export function prepareRealm(): void {
  getRealm();
}

/** Creates a session (not started) from a compiled document. */
export function createSession(document: ScxmlDocument, options: SessionOptions = {}): Session {
  return new Session(document, options);
}

/**
 * Re-creates a session from a snapshot taken with `session.snapshot()` (possibly in
 * another process): same configuration, datamodel, queues, history, pending delayed sends
 * (re-armed on `options.clock` at their original due times) and invoked children.
 */
export function restoreSession(document: ScxmlDocument, snapshot: SessionSnapshot, options: SessionOptions = {}): Session {
  const session = new Session(document, { ...options, sessionId: snapshot.sessionId });
  session.restoreFrom(snapshot);
  return session;
}
