// <send> and <cancel> (SCXML 6.2, 6.3) and the SCXML Event I/O Processor (Appendix C.1):
// delayed sends on the injected clock, #_internal, #_parent, #_scxml_<id>, #_<invokeid>,
// and other I/O processors given by the host.
import type { ElementSite, SendSpec } from '../model.ts';
import type { IoProcessor, SessionHandle } from '../types.ts';
import { evaluateContent, evaluateParams } from './datamodel.ts';
import { assertInternalQueueRoom, assignLocation, errorData, evaluate, raiseError } from './executable-content.ts';
import { forwardToInvocation } from './invoke.ts';
import { notify } from './main-event-loop.ts';
import { Session } from './session.ts';
import { ExecutionError, SCXML_PROCESSOR } from './state.ts';
import type { PendingSend, QueuedEvent } from './state.ts';

function isScxmlTarget(target: string): boolean {
  return target === '#_internal' || target === '#_parent' || target.startsWith('#_scxml_') || target.startsWith('#_');
}

function parseCssTime(text: string): number {
  const m = /^\s*(\d*\.?\d+)\s*(ms|s)?\s*$/.exec(text);
  if (!m) return NaN;
  return m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
}

export function sendAction(session: Session, spec: SendSpec): void {
  let sendid = spec.id;
  if (sendid === undefined) {
    sendid = `${session.id}.send.${++session.counter}`;
    if (spec.idlocation) assignLocation(session, spec.idlocation, sendid);
  }
  try {
    sendWithId(session, spec, sendid);
  } catch (e) {
    const error = e instanceof ExecutionError ? e : new ExecutionError(e instanceof Error ? e.message : String(e));
    error.sendid = sendid;
    throw error;
  }
}

export function sendWithId(session: Session, spec: SendSpec, sendid: string): void {
  const name = spec.eventexpr ? String(evaluate(session, spec.eventexpr)) : spec.event;
  const target = spec.targetexpr ? String(evaluate(session, spec.targetexpr)) : spec.target;
  const type = spec.typeexpr ? String(evaluate(session, spec.typeexpr)) : (spec.type ?? SCXML_PROCESSOR);
  let delay = spec.delay ?? 0;
  if (spec.delayexpr) {
    const raw = evaluate(session, spec.delayexpr);
    delay = typeof raw === 'number' ? raw : parseCssTime(String(raw));
    if (Number.isNaN(delay)) throw new ExecutionError(`invalid delay ${String(raw)}`);
  }
  const data = spec.content
    ? session.realm.importValue(evaluateContent(session, spec.content))
    : evaluateParams(session, spec.params, spec.namelist, spec.namelistNames);
  const isScxmlType = type === SCXML_PROCESSOR || type === 'scxml';
  if (!isScxmlType && !session.options.ioProcessors?.[type]) throw new ExecutionError(`unsupported send type ${type}`);
  if (isScxmlType && target !== undefined && !isScxmlTarget(target)) {
    throw new ExecutionError(`invalid target ${target} for the SCXML event processor`);
  }
  if (name === undefined && spec.content === undefined && isScxmlType) throw new ExecutionError('<send> without event');
  const event: QueuedEvent = {
    name: name ?? '',
    type: 'external',
    sendid: spec.id !== undefined || spec.idlocation ? sendid : undefined,
    origin: undefined,
    origintype: undefined,
    invokeid: undefined,
    data,
  };
  if (delay > 0) {
    if (target === '#_internal') throw new ExecutionError('delayed send to #_internal');
    const due = session.clock.now() + delay;
    const pending: PendingSend = { sendid, due, event, target, type: isScxmlType ? SCXML_PROCESSOR : type, timer: undefined, site: spec.site };
    (session.pendingSends ??= new Map()).set(sendid, pending);
    armTimer(session, pending);
    return;
  }
  dispatch(session, event, target, isScxmlType ? SCXML_PROCESSOR : type, sendid, spec.site);
}

export function armTimer(session: Session, pending: PendingSend): void {
  pending.timer = session.clock.setTimer(pending.due, () => {
    if (session.pendingSends?.get(pending.sendid) !== pending) return;
    session.pendingSends?.delete(pending.sendid);
    session.realm.setSession(session.clock, session.random);
    dispatch(session, pending.event, pending.target, pending.type, pending.sendid, pending.site);
  });
}

export function dispatch(
  session: Session,
  event: QueuedEvent,
  target: string | undefined,
  type: string,
  sendid: string,
  site: ElementSite | undefined,
): void {
  if (type !== SCXML_PROCESSOR) {
    const processor: IoProcessor = session.options.ioProcessors![type]!;
    const fail = (e: unknown) => {
      session.observer?.error?.(session.id, 'error.communication', e);
      session.externalQueue.push({ ...event, name: 'error.communication', type: 'platform', sendid, data: errorData(session, e, site) });
      notify(session);
    };
    try {
      const r = processor.send(
        { name: event.name, data: event.data, target, type, sendid: event.sendid, sourceSessionId: session.id },
        session,
      );
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(fail);
    } catch (e) {
      if (inMacrostepContext(session)) raiseError(session, 'error.communication', e, sendid, site);
      else fail(e);
    }
    return;
  }
  event.origin = '#_scxml_' + session.id;
  event.origintype = SCXML_PROCESSOR;
  if (target === undefined) {
    session.externalQueue.push(event);
    notify(session);
    return;
  }
  if (target === '#_internal') {
    assertInternalQueueRoom(session);
    session.internalQueue.push({ ...event, type: 'internal' });
    return;
  }
  let recipient: Session | SessionHandle | undefined;
  if (target === '#_parent') {
    recipient = session.parent?.session;
    if (session.parent) event.invokeid = session.parent.invokeid;
  } else if (target.startsWith('#_scxml_')) {
    const id = target.slice('#_scxml_'.length);
    recipient = id === session.id ? session : session.registry?.get(id);
  } else if (target.startsWith('#_')) {
    const inv = session.invoked?.get(target.slice(2));
    if (inv && !inv.child) {
      forwardToInvocation(session, inv, { ...event });
      return;
    }
    recipient = inv && !inv.child!.done ? inv.child : undefined;
  }
  if (!recipient) {
    const error = new Error(`target ${target} is unreachable`);
    if (inMacrostepContext(session)) raiseError(session, 'error.communication', error, sendid, site);
    else {
      session.externalQueue.push({ ...event, name: 'error.communication', type: 'platform', sendid, data: errorData(session, error, site) });
      notify(session);
    }
    return;
  }
  if (recipient instanceof Session) deliver(recipient, event);
  else recipient.enqueue({ ...event, data: event.data });
}

/** Whether we are inside start()/run(), so errors can go to the internal queue. */
export function inMacrostepContext(session: Session): boolean {
  return session.running && (session.inRun || session.starting);
}

/** Delivery between sessions of this library (event data is already a realm value). */
export function deliver(session: Session, event: QueuedEvent): void {
  if (session.finished) return;
  session.externalQueue.push({ ...event, data: event.data === undefined ? undefined : session.realm.importValue(event.data) });
  notify(session);
}

export function cancel(session: Session, sendid: string): void {
  const pending = session.pendingSends?.get(sendid);
  if (!pending) return;
  session.clock.clearTimer(pending.timer);
  session.pendingSends?.delete(sendid);
}
