// The engine an engine thread runs: the SCXML interpreter with the runtime's whole
// extension set (ORS session elements and the telephony dialog/interaction elements),
// whose telephony actions are carried out by the I/O thread's telephony client.
import type { EngineThreadBindings, EngineThreadFactory } from './thread-entry.ts';
import { createScxmlEngine } from '../sessions/scxml-engine.ts';
import { telephonyExtensions } from '../telephony/dialog-extensions.ts';
import { TelephonyActions } from '../telephony/telephony-actions.ts';
import type { Treatment } from '../telephony/voice-messages.ts';

/** TelephonyActions whose calls go to the I/O thread, where the telephony connection is. */
class RemoteTelephonyActions extends TelephonyActions {
  readonly #bindings: EngineThreadBindings;

  constructor(bindings: EngineThreadBindings) {
    super();
    this.#bindings = bindings;
  }

  override applyTreatment(sessionId: string, treatment: Treatment): Promise<string> {
    return this.#bindings.call(sessionId, 'telephony.applyTreatment', [sessionId, treatment]).then(String);
  }

  override async cancelTreatment(sessionId: string, treatmentId: string): Promise<void> {
    await this.#bindings.call(sessionId, 'telephony.cancelTreatment', [sessionId, treatmentId]);
  }

  override async routeCall(sessionId: string, target: string): Promise<void> {
    await this.#bindings.call(sessionId, 'telephony.routeCall', [sessionId, target]);
  }

  override async updateAttachedData(sessionId: string, set: Record<string, string | number | boolean | null>, remove: string[]): Promise<void> {
    await this.#bindings.call(sessionId, 'telephony.updateAttachedData', [sessionId, set, remove]);
  }

  override async stopProcessing(sessionId: string, queue: string | undefined): Promise<void> {
    await this.#bindings.call(sessionId, 'telephony.stopProcessing', [sessionId, queue]);
  }
}

export const createThreadEngine: EngineThreadFactory = (bindings) =>
  createScxmlEngine({
    extensions: telephonyExtensions(new RemoteTelephonyActions(bindings)),
    evaluationTimeLimitMs: bindings.evaluationTimeLimitMs,
    remoteSession: (id) => ({ id, enqueue: (event) => bindings.deliverElsewhere(id, event) }),
  });
