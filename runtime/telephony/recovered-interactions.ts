// After a switchover, what the new primary does with each interaction its node holds at
// the interaction server: the server's list is the truth about what the node owns, HA's
// recovery report says which persisted sessions came back here. Pure.
import type { Interaction } from './multimedia-messages.ts';

export interface RecoveredSession {
  sessionId: string;
  /** The session's InteractionId parameter (a voice session's is its call id). */
  interactionId?: string;
}

export type RecoveryStep =
  /** Its persisted session lives here again: keep the lease alive, report its end. */
  | { kind: 'bind'; interaction: Interaction; sessionId: string }
  /** Its recovered session already ran to its end here (before this plan): report completion. */
  | { kind: 'complete'; interaction: Interaction; sessionId: string }
  /**
   * No session carries it (the old primary had pulled it but had not yet persisted a
   * session for it, or its strategy does not persist): start it over in a new session
   * here. The node keeps it, so it is never pulled twice and never stuck.
   */
  | { kind: 'restart'; interaction: Interaction };

export function planRecoveredInteractions(input: {
  held: readonly Interaction[];
  recovered: readonly RecoveredSession[];
  /** Interactions this process works on already (pulled since the promotion, or bound). */
  alreadyMine: (interactionId: string) => boolean;
  isAlive: (sessionId: string) => boolean;
}): RecoveryStep[] {
  const sessionOf = new Map<string, string>();
  for (const s of input.recovered) if (s.interactionId) sessionOf.set(s.interactionId, s.sessionId);
  const steps: RecoveryStep[] = [];
  for (const interaction of input.held) {
    if (input.alreadyMine(interaction.interactionId)) continue;
    const sessionId = sessionOf.get(interaction.interactionId);
    if (sessionId === undefined) steps.push({ kind: 'restart', interaction });
    else if (input.isAlive(sessionId)) steps.push({ kind: 'bind', interaction, sessionId });
    else steps.push({ kind: 'complete', interaction, sessionId });
  }
  return steps;
}
