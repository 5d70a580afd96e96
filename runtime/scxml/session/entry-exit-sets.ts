// Appendix D: computeExitSet, computeEntrySet, addDescendantStatesToEnter,
// addAncestorStatesToEnter, isInFinalState, getTransitionDomain, getEffectiveTargetStates.
// findLCCA is static and lives in compile.ts (transition domains without history targets
// are computed once per document).
import { findLCCA } from '../compile.ts';
import type { Action, StateModel, TransitionModel } from '../model.ts';
import type { Session } from './session.ts';

export type DefaultHistoryContent = Array<{ state: StateModel; actions: Action[] }>;

export const byDocumentOrder = (a: StateModel, b: StateModel) => a.index - b.index;

/** isDescendant(s, ancestor) of Appendix D; a null/undefined ancestor (the document) contains every state. */
export function isDescendant(s: StateModel, ancestor: StateModel | null | undefined): boolean {
  if (!ancestor) return true;
  return s.index > ancestor.index && s.index <= ancestor.lastDescendant;
}

export function computeExitSet(session: Session, transitions: TransitionModel[]): StateModel[] {
  const statesToExit: StateModel[] = [];
  for (const t of transitions) {
    if (!t.targets || t.targets.length === 0) continue;
    const domain = getTransitionDomain(session, t);
    const from = domain ? domain.index + 1 : 1;
    const to = domain ? domain.lastDescendant : session.states.length - 1;
    for (let i = from; i <= to; i++) {
      if (session.active[i]) {
        const s = session.states[i]!;
        if (!statesToExit.includes(s)) statesToExit.push(s);
      }
    }
  }
  return statesToExit;
}

export function computeEntrySet(
  session: Session,
  transitions: TransitionModel[],
  statesToEnter: StateModel[],
  statesForDefaultEntry: StateModel[],
  defaultHistoryContent: DefaultHistoryContent,
): void {
  for (const t of transitions) {
    if (!t.targets || t.targets.length === 0) continue;
    for (const s of t.targets) addDescendantStatesToEnter(session, s, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
    const ancestor = getTransitionDomain(session, t);
    for (const s of getEffectiveTargetStates(session, t)) {
      addAncestorStatesToEnter(session, s, ancestor, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
    }
  }
}

export function historyDefault(session: Session, h: StateModel): StateModel[] {
  if (h.initial?.targets) return h.initial.targets;
  return h.parent!.initial?.targets ?? [];
}

export function addDescendantStatesToEnter(
  session: Session,
  state: StateModel,
  statesToEnter: StateModel[],
  statesForDefaultEntry: StateModel[],
  defaultHistoryContent: DefaultHistoryContent,
): void {
  if (state.kind === 'history') {
    const recorded = session.historyValue?.get(state.index);
    if (recorded) {
      for (const s of recorded) addDescendantStatesToEnter(session, s, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
      for (const s of recorded) {
        addAncestorStatesToEnter(session, s, state.parent!, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
      }
    } else {
      if (state.initial && state.initial.actions.length > 0) defaultHistoryContent.push({ state: state.parent!, actions: state.initial.actions });
      const targets = historyDefault(session, state);
      for (const s of targets) addDescendantStatesToEnter(session, s, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
      for (const s of targets) {
        addAncestorStatesToEnter(session, s, state.parent!, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
      }
    }
    return;
  }
  if (!statesToEnter.includes(state)) statesToEnter.push(state);
  if (state.compound) {
    if (!statesForDefaultEntry.includes(state)) statesForDefaultEntry.push(state);
    const targets = state.initial!.targets!;
    for (const s of targets) addDescendantStatesToEnter(session, s, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
    for (const s of targets) addAncestorStatesToEnter(session, s, state, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
  } else if (state.kind === 'parallel') {
    for (const child of state.properChildren) {
      if (!statesToEnter.some((s) => s === child || isDescendant(s, child))) {
        addDescendantStatesToEnter(session, child, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
      }
    }
  }
}

export function addAncestorStatesToEnter(
  session: Session,
  state: StateModel,
  ancestor: StateModel | null | undefined,
  statesToEnter: StateModel[],
  statesForDefaultEntry: StateModel[],
  defaultHistoryContent: DefaultHistoryContent,
): void {
  for (const anc of state.ancestors) {
    if (ancestor && anc === ancestor) break;
    if (!statesToEnter.includes(anc)) statesToEnter.push(anc);
    if (anc.kind === 'parallel') {
      for (const child of anc.properChildren) {
        if (!statesToEnter.some((s) => s === child || isDescendant(s, child))) {
          addDescendantStatesToEnter(session, child, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
        }
      }
    }
  }
}

export function isInFinalState(session: Session, s: StateModel): boolean {
  if (s.compound) return s.properChildren.some((c) => c.kind === 'final' && session.active[c.index] === 1);
  if (s.kind === 'parallel') return s.properChildren.every((c) => isInFinalState(session, c));
  return false;
}

export function getTransitionDomain(session: Session, t: TransitionModel): StateModel | null | undefined {
  if (!t.hasHistoryTarget) return t.staticDomain;
  const tstates = getEffectiveTargetStates(session, t);
  if (tstates.length === 0) return undefined;
  if (t.internal && t.source.compound && tstates.every((s) => isDescendant(s, t.source))) return t.source;
  return findLCCA([t.source, ...tstates]) ?? null;
}

export function getEffectiveTargetStates(session: Session, t: TransitionModel): StateModel[] {
  if (!t.hasHistoryTarget) return t.targets ?? [];
  const targets: StateModel[] = [];
  for (const s of t.targets!) {
    if (s.kind === 'history') {
      const recorded = session.historyValue?.get(s.index);
      const list = recorded ?? historyDefault(session, s);
      for (const x of list) {
        if (x.kind === 'history') {
          for (const y of getEffectiveTargetStates(session, s.initial!)) if (!targets.includes(y)) targets.push(y);
        } else if (!targets.includes(x)) targets.push(x);
      }
    } else if (!targets.includes(s)) targets.push(s);
  }
  return targets;
}
