// Appendix D: selectEventlessTransitions, selectTransitions, removeConflictingTransitions.
import type { TransitionModel, StateModel } from '../model.ts';
import { computeExitSet, isDescendant } from './entry-exit-sets.ts';
import { condition } from './executable-content.ts';
import type { Session } from './session.ts';
import type { QueuedEvent } from './state.ts';

/** Event descriptor matching (SCXML 3.12.1): a descriptor matches the name or a prefix of it up to a dot. */
function nameMatch(descriptors: string[], name: string): boolean {
  for (const d of descriptors) {
    if (d === '*' || d === name) return true;
    if (name.length > d.length && name.charCodeAt(d.length) === 46 /* . */ && name.startsWith(d)) return true;
  }
  return false;
}

export function selectEventlessTransitions(session: Session): TransitionModel[] {
  return selectTransitions(session, undefined);
}

export function selectTransitions(session: Session, event: QueuedEvent | undefined): TransitionModel[] {
  const enabled: TransitionModel[] = [];
  const states = session.states;
  for (let i = 1; i < states.length; i++) {
    if (!session.active[i]) continue;
    const state = states[i]!;
    if (!state.atomic) continue;
    const t = firstEnabledTransition(session, state, event) ?? firstEnabledInAncestors(session, state, event);
    if (t && !enabled.includes(t)) enabled.push(t);
  }
  return enabled.length > 1 ? removeConflictingTransitions(session, enabled) : enabled;
}

export function firstEnabledInAncestors(session: Session, state: StateModel, event: QueuedEvent | undefined): TransitionModel | undefined {
  for (const anc of state.ancestors) {
    const t = firstEnabledTransition(session, anc, event);
    if (t) return t;
  }
  return undefined;
}

export function firstEnabledTransition(session: Session, state: StateModel, event: QueuedEvent | undefined): TransitionModel | undefined {
  for (const t of state.transitions) {
    if (event === undefined ? t.events.length !== 0 : t.events.length === 0 || !nameMatch(t.events, event.name)) continue;
    if (t.cond === undefined || condition(session, t.cond)) return t;
  }
  return undefined;
}

export function removeConflictingTransitions(session: Session, enabledTransitions: TransitionModel[]): TransitionModel[] {
  let filteredTransitions: TransitionModel[] = [];
  for (const t1 of enabledTransitions) {
    let t1Preempted = false;
    const transitionsToRemove = new Set<TransitionModel>();
    const exit1 = computeExitSet(session, [t1]);
    for (const t2 of filteredTransitions) {
      const exit2 = computeExitSet(session, [t2]);
      if (exit1.some((s) => exit2.includes(s))) {
        if (isDescendant(t1.source, t2.source)) transitionsToRemove.add(t2);
        else {
          t1Preempted = true;
          break;
        }
      }
    }
    if (!t1Preempted) {
      filteredTransitions = filteredTransitions.filter((t) => !transitionsToRemove.has(t));
      filteredTransitions.push(t1);
    }
  }
  return filteredTransitions;
}
