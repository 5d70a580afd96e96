// How an engine thread builds the same strategy engine as the I/O thread: a module it
// imports and the factory it calls. Functions (compiled documents, extension handlers)
// cannot cross threads, so the thread compiles documents itself from their source.
import type { HostCallMethod } from './engine-protocol.ts';
import type { ExternalEvent, StrategyEngine } from '../sessions/strategy-engine.ts';

export interface EngineThreadEntry {
  /** A file: URL of the module. */
  module: string;
  /** The name of its EngineThreadFactory export. */
  export: string;
}

/** What an engine thread offers the engine it builds. */
export interface EngineThreadBindings {
  /** The in-realm limit of one script or expression (`macrostep-budget`). */
  evaluationTimeLimitMs: number;
  /** A host service of the I/O thread (telephony actions, child sessions). */
  call(sessionId: string, method: HostCallMethod, args: unknown[]): Promise<unknown>;
  /** `#_scxml_<id>` of a session on another lane: the I/O thread routes the event. */
  deliverElsewhere(targetSessionId: string, event: ExternalEvent): void;
}

export type EngineThreadFactory = (bindings: EngineThreadBindings) => StrategyEngine;
