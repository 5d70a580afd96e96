// The messages between the I/O thread (SessionHost) and an engine lane (EngineCore, on an
// engine thread or, for engines without a thread entry, in-thread). Both directions go
// in batches: one postMessage carries every command (or outcome) of one turn of the
// sender's event loop, so the per-message cost of a thread hop is paid per batch, not
// per event. Per session, commands carry a sequence number; the lane reports the last
// one it consumed with each snapshot, which is what lets the I/O thread redeliver
// exactly the events a lost thread had not yet made part of a snapshot.
//
// Commands address an open session by its slot (the number it has on its lane's busy
// marker), not by its id: a small integer is what crosses to an engine thread once per
// event (engine-wire.ts), and the id, forty-odd characters, only with its create/restore.
import type { CompiledStrategy, ExternalEvent, RequestResponse } from '../sessions/strategy-engine.ts';

/** A document as a lane needs it: compiled in-thread, or its source for a thread to compile. */
export interface LaneDocument {
  id: number;
  /** In-thread lanes run the I/O thread's compiled strategy as is. */
  compiled?: CompiledStrategy;
  /** Engine threads compile the text themselves (functions do not cross threads). */
  source?: string;
  origin?: string;
  /** The text of its `<script src>` / `<data src>` includes, by src, as the loader fetched them. */
  includes?: [string, string][];
}

export type HostCommand =
  | { op: 'doc'; doc: LaneDocument }
  | { op: 'create'; sid: string; slot: number; docId: number; parameters: Record<string, unknown> }
  | { op: 'restore'; sid: string; slot: number; docId: number; snapshot: SnapshotText; seq: number }
  | { op: 'start'; slot: number; seq: number }
  | { op: 'event'; slot: number; seq: number; event: ExternalEvent }
  | { op: 'cancel'; slot: number }
  | { op: 'query'; slot: number; qid: number }
  | { op: 'reply'; callId: number; ok: boolean; value?: unknown; message?: string };

/**
 * A snapshot kept as JSON text: the I/O thread holds one per session for restores, and
 * text takes a fraction of the heap of the object graph it encodes.
 */
export type SnapshotText = string;

export interface QueryResult {
  configuration: string[];
  datamodel: Record<string, unknown>;
}

/** What one session's work produced, reported with the next flush of its lane. */
export type LaneOutcome =
  | {
      op: 'progress';
      /** The session's slot: progress is most of the way back, and crosses without the id. */
      slot: number;
      /** The last command sequence number the session consumed. */
      seq: number;
      /** Nothing queued and nothing of its own to do: a stable point. */
      stable: boolean;
      /** The interpreter's snapshot after `seq` (see engine-core.ts for when), as JSON text. */
      snapshot?: SnapshotText;
      events: number;
    }
  | { op: 'finished'; sid: string; reason: 'done' | 'failed'; message?: string }
  | { op: 'respond'; sid: string; requestId: string; response: RequestResponse }
  | { op: 'deliver'; target: string; event: ExternalEvent }
  | { op: 'terminate'; target: string }
  | { op: 'call'; callId: number; sid: string; method: HostCallMethod; args: unknown[] }
  | { op: 'query-result'; qid: number; ok: boolean; result?: QueryResult; message?: string }
  | { op: 'log'; level: 'warn' | 'error'; sid?: string; message: string };

/** Host services a lane reaches asynchronously. */
export type HostCallMethod =
  | 'startSession'
  | 'telephony.applyTreatment'
  | 'telephony.cancelTreatment'
  | 'telephony.routeCall'
  | 'telephony.updateAttachedData'
  | 'telephony.stopProcessing';

export interface LaneBatch {
  /** The last host batch the lane has received (the watchdog's liveness signal). */
  ack: number;
  outcomes: LaneOutcome[];
  /** Events received and not yet run: a worker lane holds back its next batch while this is high. */
  backlog?: number;
}

/** Where a lane marks which session it is running, for the watchdog (shared memory on threads). */
export interface BusyMarker {
  /** `at`: performance.now() as the caller just read it (one clock read per macrostep, not two). */
  enter(slot: number, at?: number): void;
  leave(): void;
}

export const NOT_BUSY: BusyMarker = { enter() {}, leave() {} };
