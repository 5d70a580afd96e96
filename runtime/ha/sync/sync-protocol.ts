// The sync port's protocol, version 1. The backup connects to its primary; both prove
// they hold the node's shared key (HMAC-SHA256 over both sides' random challenges, so
// neither a replay nor a fake primary passes); then the primary sends a full snapshot of
// what it is doing and afterwards batches of changes. Every frame after the handshake
// carries the primary's lease epoch; a backup refuses frames from an older epoch than one
// it has seen, so a deposed primary cannot feed it. Frames are length-prefixed JSON
// (see frame-codec.ts), validated here with zod: anything else closes the connection.
// A backup may ask for batches in packed form (auth.packed, confirmed by welcome.packed;
// packed-batch.ts), which this module gives back as the batches they are; a peer of
// either side that predates them keeps plain batches.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { exactBatchFrame } from './exact-batch-frame.ts';
import { isExactPackedEnvelope, unpackEvents } from './packed-batch.ts';

export const SYNC_PROTOCOL_VERSION = 1;

const epoch = z.number().int().nonnegative();
const id = z.string().min(1).max(512);

export const TreatmentSchema = z.object({
  sessionId: id,
  interactionId: id.optional(),
  treatmentId: id,
  /** e.g. "playsound"; the event the session waits for is dialog.<kind>.done */
  kind: z.string().min(1).max(64),
  startedAt: z.number(),
  /** When the primary expects it to end (the backup completes it itself after failover). */
  expectedEndAt: z.number().optional(),
});
export type Treatment = z.infer<typeof TreatmentSchema>;

export const InteractionEventSchema = z.object({
  name: z.string().min(1).max(256),
  data: z.unknown().optional(),
  at: z.number(),
});
export type InteractionEvent = z.infer<typeof InteractionEventSchema>;

export const SyncedSessionSchema = z.object({
  sessionId: id,
  interactionId: id.optional(),
  src: z.string().max(64 * 1024),
  /** Parameters the session was started with (ORS <data _type="parameter">). */
  params: z.record(z.string(), z.unknown()).optional(),
  createdAt: z.number(),
  /** `<scxml _persist="true">`: recovered from the store, not restarted. */
  persisted: z.boolean(),
  /** Version of the last snapshot the primary wrote to the store, if any. */
  persistedVersion: z.number().int().nonnegative().optional(),
  /**
   * Hot standby: the newest interpreter snapshot of a persisted session and its version.
   * The backup holds it so a promotion can recover the session even when the store has
   * not applied that version yet (a store outage, a write still in flight).
   */
  snapshot: z.unknown().optional(),
  snapshotVersion: z.number().int().nonnegative().optional(),
});
export type SyncedSession = z.infer<typeof SyncedSessionSchema>;

export const SyncEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('session-created'), at: z.number(), session: SyncedSessionSchema }),
  z.object({ type: z.literal('session-terminated'), at: z.number(), sessionId: id, interactionId: id.optional() }),
  z.object({ type: z.literal('treatment-started'), at: z.number(), treatment: TreatmentSchema }),
  z.object({ type: z.literal('treatment-ended'), at: z.number(), sessionId: id, treatmentId: id }),
  z.object({ type: z.literal('session-persisted'), at: z.number(), sessionId: id, version: z.number().int().nonnegative() }),
  /** A persisted session's snapshot at a stable point; a backup's ack of it makes the state durable. */
  z.object({ type: z.literal('session-snapshot'), at: z.number(), sessionId: id, version: z.number().int().nonnegative(), snapshot: z.unknown() }),
  /** An event of an interaction (call), kept so a restarted session can be replayed from the start. */
  z.object({ type: z.literal('interaction-event'), at: z.number(), interactionId: id, event: InteractionEventSchema }),
]);
export type SyncEvent = z.infer<typeof SyncEventSchema>;

export const SyncSnapshotSchema = z.object({
  sessions: z.array(SyncedSessionSchema),
  treatments: z.array(TreatmentSchema),
  interactionEvents: z.array(z.object({ interactionId: id, events: z.array(InteractionEventSchema) })),
});
export type SyncSnapshot = z.infer<typeof SyncSnapshotSchema>;

const hex = z.string().regex(/^[0-9a-f]{32,128}$/);

export const SyncFrameSchema = z.discriminatedUnion('type', [
  // primary -> backup, first frame
  z.object({ v: z.literal(SYNC_PROTOCOL_VERSION), type: z.literal('hello'), nodeId: id, challenge: hex }),
  // backup -> primary; `packed`: send me batches in packed form (packed-batch.ts). A primary
  // that predates it ignores the key (zod strips it) and sends plain batches.
  z.object({ v: z.literal(SYNC_PROTOCOL_VERSION), type: z.literal('auth'), nodeId: id, identity: id, challenge: hex, mac: hex, packed: z.boolean().optional() }),
  // primary -> backup: proves the primary knows the key too
  // `packed`: batches will come packed (the backup asked for them); absent from a primary that predates them.
  z.object({ v: z.literal(SYNC_PROTOCOL_VERSION), type: z.literal('welcome'), epoch, identity: id, mac: hex, packed: z.boolean().optional() }),
  // primary -> backup: the complete state, after every (re)connect
  z.object({ v: z.literal(SYNC_PROTOCOL_VERSION), type: z.literal('snapshot'), epoch, seq: z.number().int().nonnegative(), at: z.number(), snapshot: SyncSnapshotSchema }),
  // primary -> backup: changes since the previous frame
  z.object({ v: z.literal(SYNC_PROTOCOL_VERSION), type: z.literal('batch'), epoch, seq: z.number().int().nonnegative(), events: z.array(SyncEventSchema).min(1) }),
  // backup -> primary: applied up to seq
  z.object({ v: z.literal(SYNC_PROTOCOL_VERSION), type: z.literal('ack'), seq: z.number().int().nonnegative() }),
  // primary -> backup, failsafe (runtime/ha/FAILOVER.md): "I cannot renew the lease; do you see me?"
  z.object({ v: z.literal(SYNC_PROTOCOL_VERSION), type: z.literal('probe'), epoch, nonce: hex }),
  // backup -> primary: "I see you and will not take the lease for a lease duration from now"
  z.object({ v: z.literal(SYNC_PROTOCOL_VERSION), type: z.literal('confirm'), nonce: hex }),
]);
export type SyncFrame = z.infer<typeof SyncFrameSchema>;

/**
 * primary -> a backup that asked for it: a batch in packed form, its events checked by
 * packed-batch.ts. Not a SyncFrame of its own: parseFrame gives it back as the batch it is.
 */
export const PackedBatchSchema = z.object({
  v: z.literal(SYNC_PROTOCOL_VERSION),
  type: z.literal('packed'),
  epoch,
  seq: z.number().int().nonnegative(),
  events: z.array(z.unknown()).min(1),
});

export type ParsedFrame =
  /** `released`: only for a batch that came packed, per event the interaction its termination released (packed-batch.ts). */
  | { ok: true; frame: SyncFrame; released?: (string | undefined)[] }
  | { ok: false; reason: string };

/** Why zod refused a frame: its first three issues, each at its path (under `at`, for a part of the frame checked on its own). */
export function issuesReason(issues: readonly { path: PropertyKey[]; message: string }[], at: PropertyKey[] = []): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${[...at, ...issue.path].map(String).join('.') || '(frame)'}: ${issue.message}`)
    .join('; ');
}

function parsePackedBatch(raw: unknown): ParsedFrame {
  let envelope: z.infer<typeof PackedBatchSchema>;
  if (isExactPackedEnvelope(raw)) {
    envelope = raw;
  } else {
    const result = PackedBatchSchema.safeParse(raw);
    if (!result.success) return { ok: false, reason: issuesReason(result.error.issues) };
    envelope = result.data;
  }
  const unpacked = unpackEvents(envelope.events);
  if (!unpacked.ok) return { ok: false, reason: unpacked.reason };
  return { ok: true, frame: { v: SYNC_PROTOCOL_VERSION, type: 'batch', epoch: envelope.epoch, seq: envelope.seq, events: unpacked.events }, released: unpacked.released };
}

export function parseFrame(raw: unknown): ParsedFrame {
  // Batches of changes, as the primary sends them, are checked without zod's copy (exact-batch-frame.ts, packed-batch.ts).
  const batch = exactBatchFrame(raw);
  if (batch) return { ok: true, frame: batch };
  if (typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'packed') return parsePackedBatch(raw);
  const result = SyncFrameSchema.safeParse(raw);
  if (result.success) return { ok: true, frame: result.data };
  return { ok: false, reason: issuesReason(result.error.issues) };
}

/** The MAC each side sends: bound to the direction, the node, and both challenges. */
export function handshakeMac(key: Buffer, direction: 'backup' | 'primary', nodeId: string, primaryChallenge: string, backupChallenge: string): string {
  return createHmac('sha256', key).update(`ors-sync-v1|${direction}|${nodeId}|${primaryChallenge}|${backupChallenge}`).digest('hex');
}

export function macsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
