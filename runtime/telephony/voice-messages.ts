// Voice: the call events the telephony server sends to every runtime process, and the
// requests a runtime sends about a call. See PROTOCOL.md for the sequence of a call.
import { z } from 'zod';

/** Attached data (user data) of a call: a flat key/value list, as T-Server keeps it. */
export const AttachedDataSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type AttachedData = z.infer<typeof AttachedDataSchema>;

const callEventBase = {
  callId: z.string().min(1),
  /** Position of this event among the call's events (1, 2, ...), for replay and de-duplication. */
  seq: z.number().int().positive(),
  /** Server time of the event (ms since the epoch). */
  at: z.number(),
};

export const CallRingingSchema = z.object({
  type: z.literal('call.ringing'),
  ...callEventBase,
  /** The routing point the call rings on. */
  routingPoint: z.string().min(1),
  ani: z.string().optional(),
  dnis: z.string().optional(),
  /** `consult` calls are made by an agent while `primaryCallId` is in progress. */
  callType: z.enum(['inbound', 'outbound', 'internal', 'consult']).default('inbound'),
  primaryCallId: z.string().optional(),
  attachedData: AttachedDataSchema.default({}),
  /** Set when the call rang on a routing point before (it was routed back: a reroute). */
  previousSessionId: z.string().optional(),
});

export const CallEstablishedSchema = z.object({
  type: z.literal('call.established'),
  ...callEventBase,
  /** Where the call was answered (a routing target). */
  dn: z.string(),
});

export const CallReleasedSchema = z.object({
  type: z.literal('call.released'),
  ...callEventBase,
});

export const CallAttachedDataChangedSchema = z.object({
  type: z.literal('call.attached-data-changed'),
  ...callEventBase,
  attachedData: AttachedDataSchema,
});

export const TreatmentEndReasonSchema = z.enum(['completed', 'cancelled', 'failed']);

export const CallTreatmentEndedSchema = z.object({
  type: z.literal('call.treatment-ended'),
  ...callEventBase,
  treatmentId: z.string(),
  reason: TreatmentEndReasonSchema,
});

export const CallRoutedSchema = z.object({
  type: z.literal('call.routed'),
  ...callEventBase,
  target: z.string(),
  /** The session that routed the call, when a session did. */
  sessionId: z.string().optional(),
});

export const CallAbandonedSchema = z.object({
  type: z.literal('call.abandoned'),
  ...callEventBase,
});

/** Broadcast when a runtime attached its session to the call: watchers stop watching. */
export const CallSessionAttachedSchema = z.object({
  type: z.literal('call.session-attached'),
  ...callEventBase,
  sessionId: z.string(),
  nodeId: z.string(),
});

export const CallEventSchema = z.discriminatedUnion('type', [
  CallRingingSchema,
  CallEstablishedSchema,
  CallReleasedSchema,
  CallAttachedDataChangedSchema,
  CallTreatmentEndedSchema,
  CallRoutedSchema,
  CallAbandonedSchema,
  CallSessionAttachedSchema,
]);
export type CallEvent = z.infer<typeof CallEventSchema>;
export type CallRinging = z.infer<typeof CallRingingSchema>;
export type CallTreatmentEnded = z.infer<typeof CallTreatmentEndedSchema>;

const requestBase = {
  /** Chosen by the requester, unique on its connection; echoed in the response. */
  requestId: z.string().min(1),
  callId: z.string().min(1),
};

export const RouteCallSchema = z.object({
  type: z.literal('call.route'),
  ...requestBase,
  target: z.string().min(1),
  sessionId: z.string().optional(),
});

export const TreatmentSchema = z.object({
  /** `playsound`, `music`, `silence`, ... ; the simulator treats them alike. */
  kind: z.string().min(1),
  resource: z.string().optional(),
  /** How long the treatment plays; the server ends it with `completed` after that. */
  durationMs: z.number().int().nonnegative(),
});
export type Treatment = z.infer<typeof TreatmentSchema>;

export const ApplyTreatmentSchema = z.object({
  type: z.literal('call.treatment.apply'),
  ...requestBase,
  /** Chosen by the runtime (unique per call) so it can cancel and recognise the end. */
  treatmentId: z.string().min(1),
  treatment: TreatmentSchema,
  sessionId: z.string().optional(),
});

export const CancelTreatmentSchema = z.object({
  type: z.literal('call.treatment.cancel'),
  ...requestBase,
  treatmentId: z.string().min(1),
});

export const UpdateAttachedDataSchema = z.object({
  type: z.literal('call.attached-data.update'),
  ...requestBase,
  /** Keys to add or replace. */
  set: AttachedDataSchema.default({}),
  /** Keys to delete. */
  remove: z.array(z.string()).default([]),
});

/**
 * Claims the call for a session. One claim wins per ringing: the first attach after the
 * call's latest `call.ringing` is accepted and broadcast as `call.session-attached`;
 * any other session is refused with `session-already-attached` (re-attaching the same
 * session is accepted again). This is what keeps one session per call when two nodes
 * race (failover, reserved node).
 */
export const AttachSessionSchema = z.object({
  type: z.literal('call.session.attach'),
  ...requestBase,
  sessionId: z.string().min(1),
  nodeId: z.string().min(1),
});

export const ListCallsSchema = z.object({
  type: z.literal('calls.list'),
  requestId: z.string().min(1),
});

export const VoiceRequestSchema = z.discriminatedUnion('type', [
  RouteCallSchema,
  ApplyTreatmentSchema,
  CancelTreatmentSchema,
  UpdateAttachedDataSchema,
  AttachSessionSchema,
  ListCallsSchema,
]);
export type VoiceRequest = z.infer<typeof VoiceRequestSchema>;

/** Result of `call.session.attach` when refused: who holds the call. */
export const AttachRefusalSchema = z.object({ sessionId: z.string(), nodeId: z.string() });

/** Result of `calls.list`: every live call with its events so far (for reconnects and replay). */
export const CallListSchema = z.object({
  calls: z.array(z.object({ callId: z.string(), events: z.array(CallEventSchema) })),
});
export type CallList = z.infer<typeof CallListSchema>;
