// Snapshot and restore: the JSON state of a session at a stable point (between
// macrosteps), with pending delayed sends (re-armed at their due times) and invoked
// children (recursively, with how to find their document again).
import { compile, ScxmlDocument } from '../document.ts';
import type { ElementSite, StateModel } from '../model.ts';
import { initSystemVariables } from './datamodel.ts';
import { childOptions, createChild, loadChildDocument, whenLoaded } from './invoke.ts';
import { notify, setEvent } from './main-event-loop.ts';
import { armTimer } from './send.ts';
import { Session } from './session.ts';
import { EMPTY_MAP } from './state.ts';
import type { ChildDocumentRef, Invocation, PendingSend, QueuedEvent } from './state.ts';

/** The JSON-serialisable state of a session at a stable point. */
export interface SessionSnapshot {
  version: 1;
  sessionId: string;
  configuration: string[];
  history: Record<string, string[]>;
  /** States whose late-bound data is initialised (['*']: all, early binding). */
  initialisedStates: string[];
  datamodel: Record<string, unknown>;
  internalQueue: unknown[];
  externalQueue: unknown[];
  pendingSends: Array<{ sendid: string; due: number; event: unknown; target: string | undefined; type: string; site?: ElementSite | undefined }>;
  /** `child` is null for an invocation whose document was still loading (it is loaded again on restore). */
  invoked: Array<{
    invokeid: string;
    state: string;
    invoke: number;
    document: ChildDocumentRef;
    child: SessionSnapshot | null;
    params?: unknown;
  }>;
  counter: number;
  running: boolean;
  done: boolean;
  doneData: unknown;
  lastEvent: unknown;
}

/** System variables are rebuilt on restore, not stored. */
const NOT_SNAPSHOTTED = ['_sessionid', '_name', '_ioprocessors', '_event'];

export function takeSnapshot(session: Session): SessionSnapshot {
  if (session.inRun) throw new Error('snapshot() is only possible between macrosteps');
  const realm = session.realm;
  const datamodel = realm.encodeVariables(session.data, NOT_SNAPSHOTTED);
  const encodeEvent = (e: QueuedEvent) => ({ ...e, data: realm.encode(e.data) });
  const history: Record<string, string[]> = {};
  for (const [index, states] of session.historyValue ?? EMPTY_MAP) history[session.states[index]!.id] = states.map((s) => s.id);
  return {
    version: 1,
    sessionId: session.id,
    configuration: flaggedStateIds(session, session.active),
    history,
    // With early binding every state is initialised at start: nothing to record.
    initialisedStates: session.model.binding === 'early' ? ['*'] : flaggedStateIds(session, session.initialised),
    datamodel,
    internalQueue: session.internalQueue.map(encodeEvent),
    externalQueue: session.externalQueue.map(encodeEvent),
    pendingSends: [...(session.pendingSends ?? EMPTY_MAP).values()].map((p) => ({
      sendid: p.sendid,
      due: p.due,
      event: encodeEvent(p.event),
      target: p.target,
      type: p.type,
    })),
    invoked: [...(session.invoked ?? EMPTY_MAP).values()].map((inv) => ({
      invokeid: inv.invokeid,
      state: inv.state.id,
      invoke: inv.state.invokes.indexOf(inv.spec),
      document: inv.documentRef,
      child: inv.child ? inv.child.snapshot() : null,
      ...(inv.child ? {} : { params: realm.encode(inv.params) }),
    })),
    counter: session.counter,
    running: session.running,
    done: session.finished,
    doneData: realm.encode(session.doneDataValue),
    lastEvent: session.currentEvent ? encodeEvent(session.currentEvent) : null,
  };
}

/** Ids of the states whose flag is set ('' stands for the <scxml> root). */
export function flaggedStateIds(session: Session, flags: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < flags.length; i++) if (flags[i]) out.push(i === 0 ? '' : session.states[i]!.id);
  return out;
}

/** @internal Used by restoreSession. */
export function restoreSnapshot(session: Session, snapshot: SessionSnapshot): void {
  if (snapshot.version !== 1) throw new Error(`unsupported snapshot version ${String(snapshot.version)}`);
  const realm = session.realm;
  const byId = (id: string): StateModel => {
    const s = id === '' ? session.model.root : session.model.stateById.get(id);
    if (!s) throw new Error(`snapshot names unknown state "${id}" (document changed?)`);
    return s;
  };
  session.started = true;
  session.running = snapshot.running;
  session.finished = snapshot.done;
  initSystemVariables(session);
  for (const id of snapshot.configuration) session.active[byId(id).index] = 1;
  if (snapshot.initialisedStates[0] === '*') session.initialised.fill(1);
  else for (const id of snapshot.initialisedStates) session.initialised[byId(id).index] = 1;
  for (const [id, states] of Object.entries(snapshot.history)) (session.historyValue ??= new Map()).set(byId(id).index, states.map(byId));
  for (const d of session.model.allData) if (!(d.id in session.data)) session.data[d.id] = undefined;
  realm.decodeVariables(snapshot.datamodel, session.scope, session.data);
  const decodeEvent = (e: unknown): QueuedEvent => {
    const q = e as QueuedEvent;
    return { ...q, data: realm.decode(q.data, session.scope, session.data) };
  };
  session.internalQueue = snapshot.internalQueue.map(decodeEvent);
  session.externalQueue = snapshot.externalQueue.map(decodeEvent);
  session.counter = snapshot.counter;
  session.doneDataValue = realm.decode(snapshot.doneData, session.scope, session.data);
  if (snapshot.lastEvent) setEvent(session, decodeEvent(snapshot.lastEvent));
  for (const p of snapshot.pendingSends) {
    const pending: PendingSend = { sendid: p.sendid, due: p.due, event: decodeEvent(p.event), target: p.target, type: p.type, timer: undefined, site: p.site };
    (session.pendingSends ??= new Map()).set(p.sendid, pending);
    armTimer(session, pending);
  }
  for (const inv of snapshot.invoked) {
    const state = byId(inv.state);
    const spec = state.invokes[inv.invoke];
    if (!spec) throw new Error(`snapshot names unknown invoke ${inv.invoke} of "${inv.state}"`);
    let document: ScxmlDocument | Promise<ScxmlDocument>;
    if (inv.document.kind === 'inline') document = ScxmlDocument.fromModel(spec.content!.document!, session.document.options);
    else if (inv.document.kind === 'text') document = compile(inv.document.xml, session.document.options);
    else document = loadChildDocument(session, inv.document.src);
    const childSnapshot = inv.child;
    const params = childSnapshot ? undefined : (realm.decode(inv.params, session.scope, session.data) as Record<string, unknown> | undefined);
    const invocation: Invocation = { invokeid: inv.invokeid, state, spec, child: undefined, documentRef: inv.document, params };
    (session.invoked ??= new Map()).set(inv.invokeid, invocation);
    whenLoaded(session, invocation, document, (doc) => {
      if (!childSnapshot) {
        invocation.child = createChild(session, doc, inv.invokeid, params);
        invocation.child.start();
        return;
      }
      const child = new Session(doc, childOptions(session, childSnapshot.sessionId, undefined), {
        session: session,
        invokeid: inv.invokeid,
      });
      child.restoreFrom(childSnapshot);
      invocation.child = child;
    });
  }
  if (session.finished) session.registry?.delete(session.id);
  if (session.externalQueue.length > 0) notify(session);
}
