// Which treatments are playing for which session. The primary records each treatment it
// starts and tells its backup (over the HA sync port, through TreatmentSyncSink); the
// backup keeps the same ledger from those frames. Every process sees the server's
// `call.treatment-ended`; when it arrives while the session is not (yet) in this
// process — a failover in progress — the end is kept until the recovered session is
// bound, so `dialog.playsound.done` still reaches it.
//
// A treatment's end can reach a process from several sources: the server's
// `call.treatment-ended` (live, or held during a failover and told after it), and after a
// promotion the fallback timer for a treatment the sync said was playing. `complete` is
// the one gate every delivery goes through: it answers true once per treatment id, and
// the primary's completions go to its backup over the sync port (`treatmentEnded`), so
// a session hears each treatment's end at most once, across failovers too.
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

/** How long a completed treatment id is remembered (far longer than any failover). */
const REMEMBER_COMPLETED_MS = 10 * 60_000;

export class TreatmentLedger {
  private readonly playing = new Map<string, TreatmentRecord>();
  private readonly undelivered = new Map<string, HeldEnd>();
  /** treatmentId -> when its end was delivered (here, or by the primary per the sync); oldest first. */
  private readonly completed = new Map<string, number>();
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
    if (this.completed.has(record.treatmentId)) return;
    this.playing.set(record.treatmentId, record);
  }

  /**
   * On the backup: the primary sent a full snapshot of what is playing. A treatment this
   * ledger had from the sync and the snapshot no longer lists ended on the primary
   * while the link was down: its end was delivered there.
   */
  replaceFromSync(records: readonly TreatmentRecord[], now = Date.now()): void {
    const listed = new Set(records.map((r) => r.treatmentId));
    for (const id of [...this.playing.keys()]) {
      if (!listed.has(id)) this.endedFromSync(id, now);
    }
    for (const record of records) this.startedFromSync(record);
  }

  /**
   * The end of `treatmentId` is about to be told to session `sessionId`: true the first
   * time only (then the caller delivers it), false for any later report of the same end.
   * The primary tells its backup, so a later promotion does not deliver it again.
   */
  complete(treatmentId: string, sessionId: string, now = Date.now()): boolean {
    if (this.completed.has(treatmentId)) return false;
    this.remember(treatmentId, now);
    const record = this.playing.get(treatmentId) ?? this.undelivered.get(treatmentId);
    this.playing.delete(treatmentId);
    this.undelivered.delete(treatmentId);
    this.sink?.treatmentEnded(record ?? { treatmentId, sessionId, callId: '', kind: 'playsound', startedAt: now, durationMs: 0 });
    return true;
  }

  /** Whether the end of `treatmentId` was delivered already (here, or by the primary per the sync). */
  isCompleted(treatmentId: string): boolean {
    return this.completed.has(treatmentId);
  }

  /** The treatment could not be started: forget it (no end will be told). */
  ended(treatmentId: string): TreatmentRecord | undefined {
    const record = this.playing.get(treatmentId);
    this.complete(treatmentId, record?.sessionId ?? '');
    return record;
  }

  /** On the backup: the primary's sync says the end was delivered. */
  endedFromSync(treatmentId: string, now = Date.now()): void {
    this.playing.delete(treatmentId);
    this.undelivered.delete(treatmentId);
    if (!this.completed.has(treatmentId)) this.remember(treatmentId, now);
  }

  /**
   * The server reported the end but the session is not fed here: keep it for later
   * delivery. A treatment this ledger never heard of (the sync had not carried it yet)
   * is kept too when the caller knows the session that holds the call (`fallback`).
   * An end already delivered is not kept.
   */
  endedWithoutSession(
    treatmentId: string,
    reason: 'completed' | 'cancelled' | 'failed',
    endSeq: number,
    fallback?: { sessionId: string; callId: string; endedAt: number },
  ): void {
    if (this.completed.has(treatmentId) || this.undelivered.has(treatmentId)) return;
    const record =
      this.playing.get(treatmentId) ??
      (fallback && { treatmentId, sessionId: fallback.sessionId, callId: fallback.callId, kind: 'playsound', startedAt: fallback.endedAt, durationMs: 0, unsynced: true });
    if (!record) return;
    this.playing.delete(treatmentId);
    this.undelivered.set(treatmentId, { ...record, reason, endSeq, endedAt: fallback?.endedAt ?? Date.now() });
  }

  /**
   * Ends to deliver now that `sessionId` is bound here: each is completed (see
   * `complete`) and removed from the ledger. An end the sync never told about is
   * delivered only if it happened within `unsyncedWindowMs` before `promotedAt` (the
   * failover window: an older one, the old primary was still alive to deliver itself).
   * The window ends at the promotion, not now: however long the recovery takes after it,
   * an end from the failover stays due (issue 22). `onDropped` hears each end not told.
   */
  takeUndelivered(sessionId: string, now = Date.now(), unsyncedWindowMs = Infinity, promotedAt = now, onDropped?: (end: HeldEnd) => void): HeldEnd[] {
    const mine = [...this.undelivered.values()].filter((r) => r.sessionId === sessionId);
    const windowEnd = Math.min(now, promotedAt);
    const due = mine.filter((r) => (!r.unsynced || windowEnd - r.endedAt <= unsyncedWindowMs) && this.complete(r.treatmentId, sessionId, now));
    for (const r of mine) {
      this.undelivered.delete(r.treatmentId);
      if (onDropped && !due.includes(r)) onDropped(r);
    }
    return due;
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

  private remember(treatmentId: string, now: number): void {
    this.completed.set(treatmentId, now);
    // Oldest first (insertion order): drop what is past any failover.
    for (const [id, at] of this.completed) {
      if (now - at <= REMEMBER_COMPLETED_MS) break;
      this.completed.delete(id);
    }
  }
}
