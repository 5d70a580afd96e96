// Executable content (SCXML 4) and the datamodel's evaluation of expressions, conditions
// and locations (5.9): an error stops the block and becomes error.execution (4.9).
import type { Snippet } from '../datamodel/ecmascript.ts';
import type { Action, ForeachSpec } from '../model.ts';
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

export function raiseError(session: Session, name: 'error.execution' | 'error.communication', error: unknown, sendid?: string): void {
  session.observer?.error?.(session.id, name, error);
  session.internalQueue.push({
    name,
    type: 'platform',
    sendid,
    origin: undefined,
    origintype: undefined,
    invokeid: undefined,
    data: error instanceof Error ? error.message : typeof error === 'string' ? error : undefined,
  });
}

/** Runs a block of executable content; an error stops the block and raises error.execution (SCXML 4.9). */
export function executeContent(session: Session, block: Action[]): void {
  try {
    for (const action of block) action(session);
  } catch (e) {
    raiseError(session, 'error.execution', e, e instanceof ExecutionError ? e.sendid : undefined);
  }
}

export function executeBlock(session: Session, block: Action[]): void {
  for (const action of block) action(session);
}

export function evaluate(session: Session, snippet: Snippet): unknown {
  const fn = snippet.fn;
  if (fn === undefined) throw new ExecutionError(snippet.error ?? 'not compiled');
  const realm = session.realm;
  realm.setSession(session.clock, session.random);
  realm.setDeadline(session.timeLimit);
  try {
    return fn(session.scope, session.data, realm.runtime);
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
  if (location.fn === undefined || root === undefined) throw new ExecutionError(location.error ?? 'invalid location');
  if (SYSTEM_NAMES.has(root)) throw new ExecutionError(`cannot assign to system variable ${root}`);
  if (!(root in session.data)) throw new ExecutionError(`location ${location.source} is not declared`);
  const realm = session.realm;
  realm.setSession(session.clock, session.random);
  realm.setDeadline(session.timeLimit);
  try {
    location.fn(session.scope, session.data, realm.runtime, value);
  } finally {
    realm.clearDeadline();
  }
}

export function raiseInternal(session: Session, name: string, data: unknown): void {
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
  for (let i = 0; i < items.length; i++) {
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
