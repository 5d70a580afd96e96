// Appendix D: microstep, exitStates, executeTransitionContent, enterStates. The
// configuration is a flag per state index; document order is index order, so "sorted in
// entry/exit order" is a sort by index.
import type { StateModel, TransitionModel } from '../model.ts';
import { evaluateDonedata, initializeData } from './datamodel.ts';
import { byDocumentOrder, computeEntrySet, computeExitSet, isInFinalState } from './entry-exit-sets.ts';
import type { DefaultHistoryContent } from './entry-exit-sets.ts';
import { executeContent, pushPlatform } from './executable-content.ts';
import { cancelInvoke } from './invoke.ts';
import type { Session } from './session.ts';

export function microstep(session: Session, enabledTransitions: TransitionModel[]): void {
  const observe = session.observer?.step !== undefined;
  const before = observe ? session.configuration : undefined;
  exitStates(session, enabledTransitions);
  executeTransitionContent(session, enabledTransitions);
  enterStates(session, enabledTransitions);
  if (observe) {
    const after = session.configuration;
    session.observer!.step!({
      sessionId: session.id,
      event: session.currentEvent?.name,
      exited: before!.filter((s) => !after.includes(s)),
      entered: after.filter((s) => !before!.includes(s)),
      configuration: after,
    });
  }
}

export function exitStates(session: Session, enabledTransitions: TransitionModel[]): void {
  const statesToExit = computeExitSet(session, enabledTransitions);
  if (statesToExit.length === 0) return;
  if (session.statesToInvoke.length > 0) session.statesToInvoke = session.statesToInvoke.filter((s) => !statesToExit.includes(s));
  statesToExit.sort((a, b) => b.index - a.index);
  for (const s of statesToExit) {
    for (const h of s.historyChildren) {
      const recorded: StateModel[] = [];
      for (let i = s.index + 1; i <= s.lastDescendant; i++) {
        if (!session.active[i]) continue;
        const s0 = session.states[i]!;
        if (h.deep ? s0.atomic : s0.parent === s) recorded.push(s0);
      }
      (session.historyValue ??= new Map()).set(h.index, recorded);
    }
  }
  for (const s of statesToExit) {
    for (const content of s.onexit) executeContent(session, content);
    for (const inv of s.invokes) cancelInvoke(session, inv, s);
    session.active[s.index] = 0;
  }
}

export function executeTransitionContent(session: Session, enabledTransitions: TransitionModel[]): void {
  for (const t of enabledTransitions) if (t.actions.length > 0) executeContent(session, t.actions);
}

export function enterStates(session: Session, enabledTransitions: TransitionModel[]): void {
  const statesToEnter: StateModel[] = [];
  const statesForDefaultEntry: StateModel[] = [];
  const defaultHistoryContent: DefaultHistoryContent = [];
  computeEntrySet(session, enabledTransitions, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
  const ordered = statesToEnter.length > 1 ? statesToEnter.sort(byDocumentOrder) : statesToEnter;
  for (const s of ordered) {
    if (session.active[s.index]) continue;
    session.active[s.index] = 1;
    if (s.kind === 'scxml') continue;
    if (s.invokes.length > 0) session.statesToInvoke.push(s);
    if (!session.initialised[s.index]) {
      session.initialised[s.index] = 1;
      initializeData(session, s.data);
    }
    for (const content of s.onentry) executeContent(session, content);
    if (statesForDefaultEntry.includes(s) && s.initial && s.initial.actions.length > 0) executeContent(session, s.initial.actions);
    const historyContent = defaultHistoryContent.find((h) => h.state === s)?.actions;
    if (historyContent) executeContent(session, historyContent);
    if (s.kind === 'final') {
      const parent = s.parent!;
      if (parent.kind === 'scxml') session.running = false;
      else {
        const grandparent = parent.parent;
        pushPlatform(session, 'done.state.' + parent.id, evaluateDonedata(session, s));
        if (grandparent && grandparent.kind === 'parallel') {
          if (grandparent.properChildren.every((c) => isInFinalState(session, c))) {
            pushPlatform(session, 'done.state.' + grandparent.id, undefined);
          }
        }
      }
    }
  }
}
