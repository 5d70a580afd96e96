// Which treatments are playing for which session. The primary records each treatment it
// starts and tells its backup (over the HA sync port, through TreatmentSyncSink); the
// backup keeps the same ledger from those frames. Every process sees the server's
// `call.treatment-ended`; when it arrives while the session is not (yet) in this
// process — a failover in progress — the end is kept until the recovered session is
// bound, so `dialog.playsound.done` still reaches it.
export interface TreatmentRecord {
  treatmentId: string;
  sessionId: string;
  callId: string;
  /** `playsound`, `music`, ...: the session waits for dialog.playsound.done either way. */
  kind: string;
  startedAt: number;
  durationMs: number;
}

/** A treatment end kept for a session that is not fed here yet. */
export type HeldEnd = TreatmentRecord & {
  reason: 'completed' | 'cancelled' | 'failed';
  endSeq: number;
  endedAt: number;
  /** Not known from the sync: the old primary may have delivered it before dying. */
  unsynced?: boolean;
};

export interface TreatmentSyncSink {
  treatmentStarted(record: TreatmentRecord): void;
  treatmentEnded(record: TreatmentRecord): void;
}

export class TreatmentLedger {
  private readonly playing = new Map<string, TreatmentRecord>();
  private readonly undelivered = new Map<string, HeldEnd>();
  private readonly sink: TreatmentSyncSink | undefined;
  private counter = 0;

  constructor(sink?: TreatmentSyncSink) {
    this.sink = sink;
  }

  newId(sessionId: string): string {
    return `${sessionId}.t${++this.counter}.${Date.now().toString(36)}`;
  }

  /** On the primary: a treatment was requested. */
  started(record: TreatmentRecord): void {
    this.playing.set(record.treatmentId, record);
    this.sink?.treatmentStarted(record);
  }

  /** On the backup: the primary's sync says a treatment started. */
  startedFromSync(record: TreatmentRecord): void {
    this.playing.set(record.treatmentId, record);
  }

  /** The treatment ended and its session heard it (or it failed to start). */
  ended(treatmentId: string): TreatmentRecord | undefined {
    const record = this.playing.get(treatmentId);
    this.playing.delete(treatmentId);
    if (record) this.sink?.treatmentEnded(record);
    return record;
  }

  /** On the backup: the primary's sync says the end was delivered. */
  endedFromSync(treatmentId: string): void {
    this.playing.delete(treatmentId);
    this.undelivered.delete(treatmentId);
  }

  /**
   * The server reported the end but the session is not fed here: keep it for later
   * delivery. A treatment this ledger never heard of (the sync had not carried it yet)
   * is kept too when the caller knows the session that holds the call (`fallback`).
   */
  endedWithoutSession(
    treatmentId: string,
    reason: 'completed' | 'cancelled' | 'failed',
    endSeq: number,
    fallback?: { sessionId: string; callId: string; endedAt: number },
  ): void {
    const record =
      this.playing.get(treatmentId) ??
      (fallback && { treatmentId, sessionId: fallback.sessionId, callId: fallback.callId, kind: 'playsound', startedAt: fallback.endedAt, durationMs: 0, unsynced: true });
    if (!record) return;
    this.playing.delete(treatmentId);
    this.undelivered.set(treatmentId, { ...record, reason, endSeq, endedAt: fallback?.endedAt ?? Date.now() });
  }

  /**
   * Ends to deliver now that `sessionId` is bound here; removes them from the ledger.
   * An end the sync never told about is delivered only if it happened within
   * `unsyncedWindowMs` of `now` (the failover window: an older one, the old primary was
   * still alive to deliver itself).
   */
  takeUndelivered(sessionId: string, now = Date.now(), unsyncedWindowMs = Infinity): HeldEnd[] {
    const mine = [...this.undelivered.values()].filter((r) => r.sessionId === sessionId);
    for (const r of mine) this.undelivered.delete(r.treatmentId);
    return mine.filter((r) => !r.unsynced || now - r.endedAt <= unsyncedWindowMs);
  }

  /** Whether this process started the treatment or heard of it from its primary's sync. */
  knows(treatmentId: string): boolean {
    return this.playing.has(treatmentId);
  }

  playingFor(sessionId: string): TreatmentRecord[] {
    return [...this.playing.values()].filter((r) => r.sessionId === sessionId);
  }

  get size(): number {
    return this.playing.size;
  }
}
