// What strategies ask of the telephony layer, bound late: the SCXML engine (and so the
// extension elements) is built before the telephony client exists, and a runtime
// without a telephony server still compiles voice strategies (their requests then fail
// with a clear error event instead of a compile error).
import type { Treatment } from './voice-messages.ts';
import type { VoiceCallAgent } from './voice-call-agent.ts';
import type { InteractionPuller } from './interaction-puller.ts';

export class TelephonyActions {
  private agent: VoiceCallAgent | undefined;
  private puller: InteractionPuller | undefined;

  bind(agent: VoiceCallAgent, puller: InteractionPuller | undefined): void {
    this.agent = agent;
    this.puller = puller;
  }

  private voice(): VoiceCallAgent {
    if (!this.agent) throw new Error('this runtime has no telephony connection (set telephony-url)');
    return this.agent;
  }

  applyTreatment(sessionId: string, treatment: Treatment): Promise<string> {
    return this.voice().applyTreatment(sessionId, treatment);
  }

  cancelTreatment(sessionId: string, treatmentId: string): Promise<void> {
    return this.voice().cancelTreatment(sessionId, treatmentId);
  }

  routeCall(sessionId: string, target: string): Promise<void> {
    return this.voice().routeCall(sessionId, target);
  }

  updateAttachedData(sessionId: string, set: Record<string, string | number | boolean | null>, remove: string[]): Promise<void> {
    return this.voice().updateAttachedData(sessionId, set, remove);
  }

  stopProcessing(sessionId: string, queue: string | undefined): Promise<void> {
    if (!this.puller) throw new Error('this runtime does not pull interactions');
    return this.puller.stopProcessing(sessionId, queue);
  }
}
