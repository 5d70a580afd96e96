// Appendix D: interpret, mainEventLoop (its inner loop as macrostep), exitInterpreter.
// The spec's blocking `externalQueue.dequeue()` becomes "return and wait for the host to
// call run()": mainEventLoop processes what is queued, then returns; `notify` asks the
// host's scheduler for another run.
import { initializeData, initSystemVariables, evaluateDonedata } from './datamodel.ts';
import { executeContent } from './executable-content.ts';
import { applyFinalize, cancelInvoke, forwardToInvocation, invoke } from './invoke.ts';
import { enterStates, microstep } from './microstep.ts';
import type { Session } from './session.ts';
import { EMPTY_MAP } from './state.ts';
import type { QueuedEvent } from './state.ts';
import { selectEventlessTransitions, selectTransitions } from './transition-selection.ts';

/** Microsteps one macrostep may take before the session is considered stuck in an eventless loop. */
const MAX_MICROSTEPS_PER_MACROSTEP = 100_000;
/** External events processed per run() before yielding back to the host's scheduler. */
const MAX_EVENTS_PER_RUN = 1000;

function defaultScheduler(session: { run(): void }) {
  queueMicrotask(() => session.run());
}

/** Runs the initial macrostep (Appendix D `interpret`). */
export function interpret(session: Session): void {
  if (session.started) throw new Error(`session ${session.id} already started`);
  session.started = true;
  session.running = true;
  session.realm.setSession(session.clock, session.random);
  initSystemVariables(session);
  if (session.model.binding === 'early') {
    for (const d of session.model.allData) session.data[d.id] = undefined;
    initializeData(session, session.model.allData);
    for (const s of session.states) session.initialised[s.index] = 1;
  } else {
    for (const d of session.model.allData) session.data[d.id] = undefined;
    initializeData(session, session.model.root.data);
    session.initialised[0] = 1;
  }
  session.starting = true;
  try {
    if (session.model.script.length > 0) executeContent(session, session.model.script);
    enterStates(session, [session.model.root.initial!]);
    if (session.observer?.step) {
      const configuration = session.configuration;
      session.observer.step({ sessionId: session.id, event: undefined, exited: [], entered: configuration, configuration });
    }
    macrostep(session);
  } finally {
    session.starting = false;
  }
}

/** Processes queued external events until the queue is empty (or a fairness budget is used). */
export function mainEventLoop(session: Session): void {
  session.scheduled = false;
  if (!session.started || session.finished || session.inRun) return;
  session.inRun = true;
  session.realm.setSession(session.clock, session.random);
  try {
    let budget = MAX_EVENTS_PER_RUN;
    while (session.running && budget-- > 0) {
      if (session.externalQueue.length > 0) {
        const event = session.externalQueue.shift()!;
        processExternalEvent(session, event);
        macrostep(session);
      } else if (session.childrenWithWork !== undefined && session.childrenWithWork.size > 0) {
        // Invoked children run in their parent's turn (see childOptions in invoke.ts).
        const children = [...session.childrenWithWork];
        session.childrenWithWork.clear();
        for (const child of children) child.run();
      } else break;
    }
  } finally {
    session.inRun = false;
  }
  if (session.hasWork) notify(session);
}

export function notify(session: Session): void {
  if (session.scheduled || session.inRun || !session.started) return;
  session.scheduled = true;
  (session.options.scheduler ?? defaultScheduler)(session);
}

/** The inner part of mainEventLoop: eventless transitions and internal events until stable, then invokes. */
export function macrostep(session: Session): void {
  let steps = 0;
  for (;;) {
    while (session.running) {
      let enabled = selectEventlessTransitions(session);
      if (enabled.length === 0) {
        if (session.internalQueue.length === 0) break;
        const internalEvent = session.internalQueue.shift()!;
        setEvent(session, internalEvent);
        enabled = selectTransitions(session, internalEvent);
      }
      if (enabled.length > 0) microstep(session, enabled);
      if (++steps > MAX_MICROSTEPS_PER_MACROSTEP) {
        session.observer?.error?.(session.id, 'error.execution', new Error('macrostep does not terminate'));
        session.running = false;
      }
    }
    if (!session.running) {
      exitInterpreter(session, true);
      return;
    }
    if (session.statesToInvoke.length > 0) {
      const toInvoke = session.statesToInvoke.sort((a, b) => a.index - b.index);
      session.statesToInvoke = [];
      for (const state of toInvoke) {
        if (!session.active[state.index]) continue;
        for (const inv of state.invokes) invoke(session, inv, state);
      }
    }
    if (session.internalQueue.length === 0) return;
  }
}

export function processExternalEvent(session: Session, externalEvent: QueuedEvent): void {
  setEvent(session, externalEvent);
  for (const inv of (session.invoked ?? EMPTY_MAP).values()) {
    if (inv.invokeid === externalEvent.invokeid) applyFinalize(session, inv);
    if (inv.spec.autoforward && !inv.child?.done) {
      forwardToInvocation(session, inv, {
        name: externalEvent.name,
        data: externalEvent.data,
        sendid: externalEvent.sendid,
        origin: externalEvent.origin,
        origintype: externalEvent.origintype,
        invokeid: externalEvent.invokeid,
      });
    }
  }
  const enabled = selectTransitions(session, externalEvent);
  if (enabled.length > 0) microstep(session, enabled);
}

export function setEvent(session: Session, event: QueuedEvent): void {
  session.currentEvent = event;
  session.data._event = session.realm.makeEvent(
    event.name,
    event.type,
    event.sendid,
    event.origin,
    event.origintype,
    event.invokeid,
    event.data,
    event.raw,
  );
}

export function exitInterpreter(session: Session, notifyParent: boolean): void {
  for (let i = session.states.length - 1; i >= 0; i--) {
    if (!session.active[i]) continue;
    const s = session.states[i]!;
    for (const content of s.onexit) executeContent(session, content);
    for (const inv of s.invokes) cancelInvoke(session, inv, s);
    session.active[i] = 0;
    if (notifyParent && s.kind === 'final' && s.parent === session.model.root) {
      session.doneDataValue = evaluateDonedata(session, s);
    }
  }
  finishQuietly(session);
  if (notifyParent && session.parent) {
    session.parent.session.enqueue({
      name: 'done.invoke.' + session.parent.invokeid,
      data: session.doneDataValue,
      invokeid: session.parent.invokeid,
    });
  }
  session.observer?.done?.(session.id, session.doneDataValue);
}

export function finishQuietly(session: Session): void {
  session.finished = true;
  session.running = false;
  for (const p of (session.pendingSends ?? EMPTY_MAP).values()) session.clock.clearTimer(p.timer);
  session.pendingSends = undefined;
  for (const inv of (session.invoked ?? EMPTY_MAP).values()) inv.child?.terminate();
  session.invoked = undefined;
  session.externalQueue = [];
  session.internalQueue = [];
  session.registry?.delete(session.id);
}
