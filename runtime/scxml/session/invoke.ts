// <invoke> (SCXML 6.4): starting, finalize, autoforward and cancellation of invoked
// SCXML sessions; the child's document may be loaded asynchronously by the host.
import { compile, ScxmlDocument } from '../document.ts';
import type { InvokeSpec, StateModel } from '../model.ts';
import { MapRegistry } from '../map-registry.ts';
import type { EventInput, SessionOptions, SessionRegistry } from '../types.ts';
import { serializeTree } from '../xml.ts';
import { evaluateContent, evaluateParams } from './datamodel.ts';
import { assignLocation, errorData, evaluate, executeContent, raiseError } from './executable-content.ts';
import { notify } from './main-event-loop.ts';
import { Session } from './session.ts';
import { EMPTY_MAP, ExecutionError, SCXML_PROCESSOR } from './state.ts';
import type { Invocation, ChildDocumentRef } from './state.ts';

const SCXML_INVOKE_TYPES = new Set(['http://www.w3.org/TR/scxml/', 'http://www.w3.org/TR/scxml', 'scxml', SCXML_PROCESSOR]);

export function invoke(session: Session, spec: InvokeSpec, state: StateModel): void {
  let invokeid = spec.id;
  try {
    if (invokeid === undefined) {
      invokeid = `${state.id}.${session.id}.${++session.counter}`;
      if (spec.idlocation) assignLocation(session, spec.idlocation, invokeid);
    }
    const type = spec.typeexpr ? String(evaluate(session, spec.typeexpr)) : (spec.type ?? 'http://www.w3.org/TR/scxml/');
    if (!SCXML_INVOKE_TYPES.has(type)) throw new ExecutionError(`unsupported invoke type ${type}`);
    let document: ScxmlDocument | Promise<ScxmlDocument>;
    let documentRef: ChildDocumentRef;
    if (spec.content?.document) {
      document = ScxmlDocument.fromModel(spec.content.document, session.document.options);
      documentRef = { kind: 'inline', state: state.id, invoke: state.invokes.indexOf(spec) };
    } else if (spec.content) {
      const value = evaluateContent(session, spec.content);
      const tree = session.realm.domTree(value);
      const xml = tree ? serializeTree(tree) : String(value);
      document = compile(xml, session.document.options);
      documentRef = { kind: 'text', xml };
    } else {
      const src = spec.srcexpr ? String(evaluate(session, spec.srcexpr)) : spec.src;
      if (src === undefined) throw new ExecutionError('<invoke> needs src, srcexpr or <content>');
      document = loadChildDocument(session, src);
      documentRef = { kind: 'src', src };
    }
    const params = evaluateParams(session, spec.params, spec.namelist, spec.namelistNames) as Record<string, unknown> | undefined;
    const id = invokeid;
    const inv: Invocation = { invokeid: id, state, spec, child: undefined, documentRef, params };
    (session.invoked ??= new Map()).set(id, inv);
    whenLoaded(session, inv, document, (doc) => {
      inv.child = createChild(session, doc, id, params);
      inv.child.start();
    });
  } catch (e) {
    raiseError(session, 'error.execution', e, undefined, spec.site);
  }
}

/** Runs `attach` now for a loaded document, or when an asynchronous load completes (if the invocation is still active). */
export function whenLoaded(session: Session, inv: Invocation, document: ScxmlDocument | Promise<ScxmlDocument>, attach: (doc: ScxmlDocument) => void): void {
  if (!(document instanceof Promise)) {
    attach(document);
    return;
  }
  document.then(
    (doc) => {
      if (session.invoked?.get(inv.invokeid) !== inv || session.finished) return;
      attach(doc);
      inv.params = undefined;
      for (const e of inv.waiting ?? []) inv.child!.enqueue(e);
      inv.waiting = undefined;
    },
    (error: unknown) => {
      if (session.invoked?.get(inv.invokeid) !== inv || session.finished) return;
      session.invoked.delete(inv.invokeid);
      session.observer?.error?.(session.id, 'error.execution', error);
      session.externalQueue.push({
        name: 'error.execution',
        type: 'platform',
        sendid: undefined,
        origin: undefined,
        origintype: undefined,
        invokeid: inv.invokeid,
        data: errorData(session, error, inv.spec.site),
      });
      notify(session);
    },
  );
}

export function forwardToInvocation(session: Session, inv: Invocation, event: EventInput): void {
  if (inv.child) inv.child.enqueue(event);
  else (inv.waiting ??= []).push(event);
}

export function loadChildDocument(session: Session, src: string): ScxmlDocument | Promise<ScxmlDocument> {
  if (session.options.loadDocument) return session.options.loadDocument(src);
  const load = session.document.options.loadSource;
  if (!load) throw new ExecutionError(`cannot load ${src}: no loader`);
  return compile(load(src), session.document.options);
}

export function createChild(session: Session, document: ScxmlDocument, invokeid: string, params: Record<string, unknown> | undefined): Session {
  const data = params ? Object.fromEntries(Object.entries(params).filter(([k]) => document.model.allData.some((d) => d.id === k))) : undefined;
  return new Session(document, childOptions(session, `${session.id}.${invokeid}`, data), { session: session, invokeid });
}

/**
 * Options of an invoked child. The host knows only the sessions it created, so a child's
 * work is announced to its parent, whose run() runs the children that have work: the
 * host's scheduler never sees a child (a host that runs only its own sessions would
 * leave the child's events unprocessed for ever).
 */
export function childOptions(session: Session, sessionId: string, data: Record<string, unknown> | undefined): SessionOptions {
  return {
    ...session.options,
    sessionId,
    registry: sharedRegistry(session),
    data,
    scheduler: (child) => {
      (session.childrenWithWork ??= new Set()).add(child as Session);
      notify(session);
    },
  };
}

export function sharedRegistry(session: Session): SessionRegistry {
  if (!session.registry) {
    session.registry = new MapRegistry();
    session.registry.add(session);
  }
  return session.registry;
}

export function cancelInvoke(session: Session, spec: InvokeSpec, state: StateModel): void {
  for (const inv of (session.invoked ?? EMPTY_MAP).values()) {
    if (inv.spec === spec && inv.state === state) {
      session.invoked?.delete(inv.invokeid);
      if (!inv.child) continue; // still loading: the load result is ignored
      if (inv.child.done) continue; // completed on its own: its events (done.invoke) still count
      inv.child.terminate();
      // Events the cancelled invocation already sent are not processed (SCXML 6.4).
      session.externalQueue = session.externalQueue.filter((e) => e.invokeid !== inv.invokeid);
    }
  }
}

export function applyFinalize(session: Session, inv: Invocation): void {
  if (inv.spec.finalize.length > 0) executeContent(session, inv.spec.finalize);
}
