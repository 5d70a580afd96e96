// The interaction server's state: named queues of waiting interactions, and a lease per
// pulled interaction held by the pulling *node* (so the node's backup, once promoted,
// keeps working with it). With lease expiry enabled, an interaction whose lease lapses
// goes back to its queue; disabled (the default, as in ORS), a pulled interaction stays
// with its node until completed or stopped. Pure: time comes in as arguments.
import type { AttachedData } from '../telephony/voice-messages.ts';
import type { Interaction } from '../telephony/multimedia-messages.ts';
import type { ErrorCode } from '../telephony/connection-messages.ts';

export interface LeasePolicy {
  expiryEnabled: boolean;
  leaseMs: number;
}

interface Entry {
  interactionId: string;
  queue: string;
  mediaType: string;
  data: AttachedData;
  /** Order of (re)entry into a queue: older first across queues. */
  seq: number;
  owner?: string;
  leaseExpiresAt?: number;
}

export type Outcome = { ok: true } | { ok: false; code: ErrorCode; message: string };

/** A completion: `repeated` when the same node had completed it already (a retry whose first answer was lost). */
export type CompletionOutcome = { ok: true; repeated: boolean } | { ok: false; code: ErrorCode; message: string };

/** Completed interactions remembered (per owner) so that a retried completion is acknowledged again. */
const COMPLETED_MEMORY = 100_000;

export interface ReturnedInteraction {
  interactionId: string;
  queue: string;
  previousOwner: string;
}

export class InteractionQueues {
  private readonly strategies = new Map<string, string>();
  private readonly waiting = new Map<string, Map<string, Entry>>();
  private readonly inProgress = new Map<string, Entry>();
  /** interactionId -> the node that completed it (oldest first, bounded). */
  private readonly completedBy = new Map<string, string>();
  private readonly policy: LeasePolicy;
  private nextSeq = 1;
  private nextId = 1;

  constructor(queues: readonly { name: string; strategy: string }[], policy: LeasePolicy) {
    for (const q of queues) {
      this.strategies.set(q.name, q.strategy);
      this.waiting.set(q.name, new Map());
    }
    this.policy = policy;
  }

  queueNames(): string[] {
    return [...this.strategies.keys()];
  }

  enqueue(queue: string, options: { interactionId?: string; mediaType?: string; data?: AttachedData } = {}): string {
    const waiting = this.waiting.get(queue);
    if (!waiting) throw new Error(`unknown queue "${queue}"`);
    const interactionId = options.interactionId ?? `ixn-${this.nextId++}`;
    if (this.inProgress.has(interactionId) || this.completedBy.has(interactionId) || [...this.waiting.values()].some((m) => m.has(interactionId))) {
      throw new Error(`interaction "${interactionId}" already exists`);
    }
    waiting.set(interactionId, {
      interactionId,
      queue,
      mediaType: options.mediaType ?? 'chat',
      data: options.data ?? {},
      seq: this.nextSeq++,
    });
    return interactionId;
  }

  /** Hands out up to `max` of the oldest waiting interactions of these queues to `owner`. */
  pull(owner: string, queues: readonly string[], max: number, now: number): Interaction[] {
    const sources = queues.map((q) => this.waiting.get(q)).filter((m): m is Map<string, Entry> => m !== undefined);
    const pulled: Interaction[] = [];
    while (pulled.length < max) {
      let oldest: Entry | undefined;
      for (const source of sources) {
        const first = source.values().next();
        if (!first.done && (!oldest || first.value.seq < oldest.seq)) oldest = first.value;
      }
      if (!oldest) break;
      this.waiting.get(oldest.queue)!.delete(oldest.interactionId);
      oldest.owner = owner;
      oldest.leaseExpiresAt = this.policy.expiryEnabled ? now + this.policy.leaseMs : undefined;
      this.inProgress.set(oldest.interactionId, oldest);
      pulled.push(this.describe(oldest));
    }
    return pulled;
  }

  renew(owner: string, interactionIds: readonly string[], now: number): { renewed: { interactionId: string; leaseExpiresAt?: number }[]; lost: string[] } {
    const renewed: { interactionId: string; leaseExpiresAt?: number }[] = [];
    const lost: string[] = [];
    for (const id of interactionIds) {
      const entry = this.inProgress.get(id);
      if (!entry || entry.owner !== owner) {
        lost.push(id);
        continue;
      }
      if (this.policy.expiryEnabled) entry.leaseExpiresAt = now + this.policy.leaseMs;
      renewed.push(entry.leaseExpiresAt === undefined ? { interactionId: id } : { interactionId: id, leaseExpiresAt: entry.leaseExpiresAt });
    }
    return { renewed, lost };
  }

  /**
   * Closes an interaction its owner finished. Idempotent for the owner: completing it
   * again (the first answer was lost in transit) is acknowledged as a repeat and changes
   * nothing, so a runtime can retry until it hears back.
   */
  complete(owner: string, interactionId: string): CompletionOutcome {
    const completedBy = this.completedBy.get(interactionId);
    if (completedBy !== undefined && !this.inProgress.has(interactionId)) {
      if (completedBy === owner) return { ok: true, repeated: true };
      return { ok: false, code: 'not-owner', message: `interaction "${interactionId}" was completed by node "${completedBy}"` };
    }
    const checked = this.ownedBy(owner, interactionId);
    if (!checked.ok) return checked;
    this.inProgress.delete(interactionId);
    this.completedBy.set(interactionId, owner);
    if (this.completedBy.size > COMPLETED_MEMORY) this.completedBy.delete(this.completedBy.keys().next().value!);
    return { ok: true, repeated: false };
  }

  /** Every interaction `owner` holds now (a node's new primary asks after a switchover). */
  heldBy(owner: string): Interaction[] {
    return [...this.inProgress.values()].filter((e) => e.owner === owner).map((e) => this.describe(e));
  }

  /** Stops processing: closes the interaction, or places it into `queue` if given. */
  stopProcessing(owner: string, interactionId: string, queue: string | undefined): Outcome {
    if (queue !== undefined && !this.waiting.has(queue)) {
      return { ok: false, code: 'invalid', message: `unknown queue "${queue}"` };
    }
    const checked = this.ownedBy(owner, interactionId);
    if (!checked.ok) return checked;
    const entry = this.inProgress.get(interactionId)!;
    this.inProgress.delete(interactionId);
    if (queue !== undefined) this.requeue(entry, queue);
    return { ok: true };
  }

  /** Returns every interaction whose lease lapsed to its queue (only with expiry enabled). */
  expire(now: number): ReturnedInteraction[] {
    if (!this.policy.expiryEnabled) return [];
    const returned: ReturnedInteraction[] = [];
    for (const entry of [...this.inProgress.values()]) {
      if (entry.leaseExpiresAt !== undefined && entry.leaseExpiresAt <= now) {
        const previousOwner = entry.owner!;
        this.inProgress.delete(entry.interactionId);
        this.requeue(entry, entry.queue);
        returned.push({ interactionId: entry.interactionId, queue: entry.queue, previousOwner });
      }
    }
    return returned;
  }

  counts(): { waiting: number; inProgress: number } {
    let waiting = 0;
    for (const m of this.waiting.values()) waiting += m.size;
    return { waiting, inProgress: this.inProgress.size };
  }

  ownerOf(interactionId: string): string | undefined {
    return this.inProgress.get(interactionId)?.owner;
  }

  private ownedBy(owner: string, interactionId: string): Outcome {
    const entry = this.inProgress.get(interactionId);
    if (!entry) return { ok: false, code: 'unknown-interaction', message: `interaction "${interactionId}" is not in progress` };
    if (entry.owner !== owner) {
      return { ok: false, code: 'not-owner', message: `interaction "${interactionId}" is held by node "${entry.owner}"` };
    }
    return { ok: true };
  }

  private requeue(entry: Entry, queue: string): void {
    delete entry.owner;
    delete entry.leaseExpiresAt;
    entry.queue = queue;
    entry.seq = this.nextSeq++;
    this.waiting.get(queue)!.set(entry.interactionId, entry);
  }

  private describe(entry: Entry): Interaction {
    const interaction: Interaction = {
      interactionId: entry.interactionId,
      queue: entry.queue,
      strategy: this.strategies.get(entry.queue)!,
      mediaType: entry.mediaType,
      data: { ...entry.data },
    };
    if (entry.leaseExpiresAt !== undefined) interaction.leaseExpiresAt = entry.leaseExpiresAt;
    return interaction;
  }
}
