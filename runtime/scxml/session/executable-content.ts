// Executable content (SCXML 4) and the datamodel's evaluation of expressions, conditions
// and locations (5.9): an error stops the block and becomes error.execution (4.9).
import type { Snippet } from '../datamodel/ecmascript.ts';
import type { Action, ElementSite, ForeachSpec } from '../model.ts';
import type { ExecutionContext, ExtensionAction } from '../types.ts';
import type { Session } from './session.ts';
import { ExecutionError, SYSTEM_NAMES } from './state.ts';

export function pushPlatform(session: Session, name: string, data: unknown): void {
  session.internalQueue.push({
    name,
    type: 'platform',
    sendid: undefined,
    origin: undefined,
    origintype: undefined,
    invokeid: undefined,
    data,
  });
}

/** The error as an ExecutionError that knows the innermost element it came through. */
export function located(session: Session, error: unknown, site: ElementSite | undefined): ExecutionError {
  let e: ExecutionError;
  if (error instanceof ExecutionError) e = error;
  else {
    // Host errors (of this interpreter) are read directly; anything else is a realm value
    // whose text is taken inside the realm, so no strategy getter runs in host code.
    e = new ExecutionError(error instanceof Error ? error.message : session.realm.describeError(error), { cause: error });
  }
  e.site ??= site;
  return e;
}

/** `_event.data` of error.execution / error.communication: message, the element's tag name, line and column. */
export function errorData(session: Session, error: unknown, site: ElementSite | undefined): unknown {
  const e = located(session, error, site);
  const where = e.site;
  return session.realm.importValue({
    message: e.message,
    // SCION's name for the same text.
    reason: e.message,
    tagname: where?.tagname,
    line: where?.line,
    column: where?.column,
  });
}

export function raiseError(
  session: Session,
  name: 'error.execution' | 'error.communication',
  error: unknown,
  sendid?: string,
  site?: ElementSite,
): void {
  const e = located(session, error, site);
  session.observer?.error?.(session.id, name, e);
  session.internalQueue.push({
    name,
    type: 'platform',
    sendid,
    origin: undefined,
    origintype: undefined,
    invokeid: undefined,
    data: errorData(session, e, undefined),
  });
}

/** Runs a block of executable content; an error stops the block and raises error.execution (SCXML 4.9). */
export function executeContent(session: Session, block: Action[]): void {
  let i = 0;
  try {
    for (; i < block.length; i++) block[i]!(session);
  } catch (e) {
    const error = located(session, e, block[i]?.site);
    raiseError(session, 'error.execution', error, error.sendid);
  }
}

export function executeBlock(session: Session, block: Action[]): void {
  let i = 0;
  try {
    for (; i < block.length; i++) block[i]!(session);
  } catch (e) {
    throw located(session, e, block[i]?.site);
  }
}

export function evaluate(session: Session, snippet: Snippet): unknown {
  const fn = snippet.fn;
  if (fn === undefined) throw located(session, new ExecutionError(snippet.error ?? 'not compiled'), snippet.site);
  const realm = session.realm;
  realm.setSession(session.clock, session.random);
  realm.setDeadline(session.timeLimit);
  try {
    return fn(session.scope, session.data, realm.runtime);
  } catch (e) {
    throw located(session, e, snippet.site);
  } finally {
    realm.clearDeadline();
  }
}

export function condition(session: Session, snippet: Snippet): boolean {
  try {
    return !!evaluate(session, snippet);
  } catch (e) {
    raiseError(session, 'error.execution', e);
    return false;
  }
}

export function assignLocation(session: Session, location: Snippet, value: unknown): void {
  const root = location.root;
  const fail = (message: string) => located(session, new ExecutionError(message), location.site);
  if (location.fn === undefined || root === undefined) throw fail(location.error ?? 'invalid location');
  if (SYSTEM_NAMES.has(root)) throw fail(`cannot assign to system variable ${root}`);
  if (!(root in session.data)) throw fail(`location ${location.source} is not declared`);
  const realm = session.realm;
  realm.setSession(session.clock, session.random);
  realm.setDeadline(session.timeLimit);
  try {
    location.fn(session.scope, session.data, realm.runtime, value);
  } catch (e) {
    throw located(session, e, location.site);
  } finally {
    realm.clearDeadline();
  }
}

/**
 * Events a macrostep may leave queued by `<raise>` and `<send target="#_internal">`. A
 * `<foreach>` raising a million events would otherwise spend its whole macrostep (and the
 * microstep limit) on them; past this bound the raise is an error.execution instead.
 * Platform events (error.*) are not counted: the error must get through.
 */
export const MAX_QUEUED_INTERNAL_EVENTS = 10_000;

/** Throws when one more internal event would exceed MAX_QUEUED_INTERNAL_EVENTS. */
export function assertInternalQueueRoom(session: Session): void {
  if (session.internalQueue.length >= MAX_QUEUED_INTERNAL_EVENTS) {
    throw new ExecutionError(`internal event queue full (${MAX_QUEUED_INTERNAL_EVENTS} events)`);
  }
}

export function raiseInternal(session: Session, name: string, data: unknown): void {
  assertInternalQueueRoom(session);
  session.internalQueue.push({
    name,
    type: 'internal',
    sendid: undefined,
    origin: undefined,
    origintype: undefined,
    invokeid: undefined,
    data,
  });
}

export function foreach(session: Session, spec: ForeachSpec): void {
  const array = evaluate(session, spec.array);
  if (array === null || typeof array !== 'object' || typeof (array as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new ExecutionError('foreach array is not iterable');
  }
  const items = Array.from(array as Iterable<unknown>);
  const declare = (loc: Snippet) => {
    if (loc.root === undefined || loc.fn === undefined) throw new ExecutionError(loc.error ?? 'invalid foreach variable');
    if (loc.root === loc.source.trim() && !(loc.root in session.data)) {
      if (SYSTEM_NAMES.has(loc.root)) throw new ExecutionError(`cannot assign to ${loc.root}`);
      session.data[loc.root] = undefined;
    }
  };
  declare(spec.item);
  if (spec.index) declare(spec.index);
  // Each evaluation in the body has its own deadline; the loop as a whole gets the same
  // budget (checked between items: one item's body may be slow), so a huge array cannot
  // hold the thread until the watchdog.
  const started = performance.now();
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && performance.now() - started > session.timeLimit) {
      throw new ExecutionError(`foreach exceeded the evaluation time limit after ${i} items`);
    }
    assignLocation(session, spec.item, items[i]);
    if (spec.index) assignLocation(session, spec.index, i);
    executeBlock(session, spec.body);
  }
}

export function runExtension(session: Session, action: ExtensionAction): void {
  action(executionContext(session));
}

export function executionContext(session: Session): ExecutionContext {
  const ev = session.currentEvent;
  return {
    sessionId: session.id,
    event: ev ? { ...ev } : undefined,
    services: session.options.services,
    evaluate: (e) => evaluate(session, e as Snippet),
    assign: (location, value) => {
      if (SYSTEM_NAMES.has(location)) throw new ExecutionError(`cannot assign to ${location}`);
      session.data[location] = session.realm.importValue(value);
    },
    execute: (block) => executeBlock(session, block as unknown as Action[]),
    raise: (e) => raiseInternal(session, e.name, e.data === undefined ? undefined : session.realm.importValue(e.data)),
    enqueue: (e) => session.enqueue(e),
  };
}
