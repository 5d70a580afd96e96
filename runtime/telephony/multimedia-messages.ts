// Multimedia (chat, email, work items): the pull side of the protocol. Interactions wait
// in named queues; a primary pulls up to N, holds a lease on each while its session
// lives, and reports completion. See PROTOCOL.md.
import { z } from 'zod';
import { AttachedDataSchema } from './voice-messages.ts';

export const InteractionSchema = z.object({
  interactionId: z.string().min(1),
  queue: z.string().min(1),
  /** The strategy serving the queue, so the runtime needs no queue map of its own. */
  strategy: z.string().min(1),
  mediaType: z.string().default('chat'),
  data: AttachedDataSchema.default({}),
  /** Server time after which the lease lapses (absent when leases never expire). */
  leaseExpiresAt: z.number().optional(),
});
export type Interaction = z.infer<typeof InteractionSchema>;

export const PullInteractionsSchema = z.object({
  type: z.literal('interactions.pull'),
  requestId: z.string().min(1),
  queues: z.array(z.string().min(1)).min(1),
  /** At most this many; the server may return fewer (or none). */
  max: z.number().int().positive().max(1000),
});

export const PullResultSchema = z.object({ interactions: z.array(InteractionSchema) });
export type PullResult = z.infer<typeof PullResultSchema>;

export const RenewLeasesSchema = z.object({
  type: z.literal('interactions.lease.renew'),
  requestId: z.string().min(1),
  interactionIds: z.array(z.string().min(1)).min(1),
});

/** Result of a renewal: what is still ours (with the new expiry) and what we lost. */
export const RenewResultSchema = z.object({
  renewed: z.array(z.object({ interactionId: z.string(), leaseExpiresAt: z.number().optional() })),
  lost: z.array(z.string()),
});
export type RenewResult = z.infer<typeof RenewResultSchema>;

/**
 * Idempotent: completing again an interaction this node completed already is
 * acknowledged (`repeated: true`), so a completion lost in transit can be retried.
 */
export const CompleteInteractionSchema = z.object({
  type: z.literal('interaction.complete'),
  requestId: z.string().min(1),
  interactionId: z.string().min(1),
});

export const CompleteResultSchema = z.object({ repeated: z.boolean().default(false) });

/** Every interaction the asking process's node holds (its new primary asks after a switchover). */
export const HeldInteractionsSchema = z.object({
  type: z.literal('interactions.held'),
  requestId: z.string().min(1),
});

export const HeldResultSchema = z.object({ interactions: z.array(InteractionSchema) });
export type HeldResult = z.infer<typeof HeldResultSchema>;

export const StopProcessingSchema = z.object({
  type: z.literal('interaction.stop-processing'),
  requestId: z.string().min(1),
  interactionId: z.string().min(1),
  /** Put the interaction into this queue instead of closing it. */
  queue: z.string().min(1).optional(),
});

export const MultimediaRequestSchema = z.discriminatedUnion('type', [
  PullInteractionsSchema,
  RenewLeasesSchema,
  CompleteInteractionSchema,
  StopProcessingSchema,
  HeldInteractionsSchema,
]);
export type MultimediaRequest = z.infer<typeof MultimediaRequestSchema>;

/** Sent to the former owner when its lease lapsed and the interaction went back to its queue. */
export const LeaseExpiredSchema = z.object({
  type: z.literal('interaction.lease-expired'),
  interactionId: z.string(),
  queue: z.string(),
  at: z.number(),
});
export type LeaseExpired = z.infer<typeof LeaseExpiredSchema>;
