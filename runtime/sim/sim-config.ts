// The simulator's configuration: routing points and the strategies they map to, routing
// targets, interaction queues, lease policy, and the load to generate. Fed from a YAML or
// JSON file and/or command-line flags (runtime/cli/sim-command.ts).
import { z } from 'zod';
import { QueueInfoSchema, RoutingPointSchema } from '../telephony/connection-messages.ts';

export const LoadSchema = z
  .object({
    ratePerSecond: z.number().positive().default(10),
    /** Stop after this many calls. */
    calls: z.number().int().positive().optional(),
    /** Stop generating after this long. */
    durationMs: z.number().int().positive().optional(),
    /** Mean caller patience: a call not routed by then is abandoned. */
    meanPatienceMs: z.number().positive().default(30_000),
    /** Mean talk time after a routed call is answered. */
    meanTalkMs: z.number().positive().default(1_000),
    seed: z.number().int().default(1),
    /** Offer the calls on these routing points only (default: every configured one, in turn). */
    routingPoints: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine((l) => l.calls !== undefined || l.durationMs !== undefined, {
    message: 'a load needs `calls` or `durationMs` (or both) so that it ends',
  });
export type Load = z.infer<typeof LoadSchema>;

export const InteractionLoadSchema = z.object({
  /** How many interactions to put into the queues at start (spread round-robin). */
  count: z.number().int().nonnegative().default(0),
  queues: z.array(z.string().min(1)).optional(),
});

export const SimConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  routingPoints: z.array(RoutingPointSchema).default([]),
  /** Routing targets that accept calls; empty means every target accepts. */
  targets: z.array(z.string().min(1)).default([]),
  queues: z.array(QueueInfoSchema).default([]),
  leaseExpiry: z
    .object({
      /** Off by default, as in ORS: a pulled interaction stays with its node. */
      enabled: z.boolean().default(false),
      leaseMs: z.number().int().positive().default(30_000),
    })
    .default({ enabled: false, leaseMs: 30_000 }),
  load: LoadSchema.optional(),
  interactions: InteractionLoadSchema.optional(),
});
export type SimConfig = z.infer<typeof SimConfigSchema>;
export type SimConfigInput = z.input<typeof SimConfigSchema>;
