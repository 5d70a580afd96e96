// The messages that open and keep up a connection, whatever it carries: the version
// handshake (hello/welcome), request outcomes, and protocol errors. See PROTOCOL.md.
import { z } from 'zod';

/** Versions this implementation speaks, newest last. A peer picks the highest common one. */
export const SUPPORTED_PROTOCOL_VERSIONS = [1] as const;
export const PROTOCOL_NAME = 'ors-telephony';

export const ClientRoleSchema = z.enum(['primary', 'backup']);

/** What a runtime process subscribes to: `voice` (call events) and/or `multimedia` (pulls). */
export const CapabilitySchema = z.enum(['voice', 'multimedia']);
export type Capability = z.infer<typeof CapabilitySchema>;

export const HelloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.literal(PROTOCOL_NAME),
  /** Every version the client speaks; the server answers with the highest it also speaks. */
  versions: z.array(z.number().int().positive()).min(1),
  /** The ORS node (primary/backup pair) this process belongs to. */
  nodeId: z.string().min(1),
  /** This process, unique in the cluster (pod name, or node id + role in a local cluster). */
  processId: z.string().min(1),
  role: ClientRoleSchema,
  capabilities: z.array(CapabilitySchema).min(1),
});
export type Hello = z.infer<typeof HelloSchema>;

export const RoutingPointSchema = z.object({
  /** The routing point's directory number, as calls name it. */
  dn: z.string().min(1),
  /** The strategy (SCXML source URL or name) that handles calls ringing there. */
  strategy: z.string().min(1),
});
export type RoutingPoint = z.infer<typeof RoutingPointSchema>;

export const QueueInfoSchema = z.object({
  name: z.string().min(1),
  strategy: z.string().min(1),
});
export type QueueInfo = z.infer<typeof QueueInfoSchema>;

export const WelcomeSchema = z.object({
  type: z.literal('welcome'),
  protocol: z.literal(PROTOCOL_NAME),
  /** The negotiated version, used for the rest of the connection. */
  version: z.number().int().positive(),
  server: z.string(),
  routingPoints: z.array(RoutingPointSchema),
  queues: z.array(QueueInfoSchema),
  /** Server clock (ms since the epoch) when the welcome was sent. */
  now: z.number(),
});
export type Welcome = z.infer<typeof WelcomeSchema>;

/** A client tells the server when its role changes (the server logs it next to pulls). */
export const RoleChangedSchema = z.object({
  type: z.literal('role.changed'),
  role: ClientRoleSchema,
});

export const ErrorCodeSchema = z.enum([
  'malformed',
  'unknown-type',
  'invalid',
  'unsupported-version',
  'not-welcomed',
  'unknown-call',
  'unknown-interaction',
  'unknown-target',
  'session-already-attached',
  'not-owner',
  'not-primary',
  'call-gone',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** A protocol error not tied to a request (or tied to one that could not be parsed). */
export const ProtocolErrorSchema = z.object({
  type: z.literal('error'),
  code: ErrorCodeSchema,
  message: z.string(),
  requestId: z.string().optional(),
});
export type ProtocolError = z.infer<typeof ProtocolErrorSchema>;

/** The answer to every request: ok with a result, or a failure with a code. */
export const ResponseSchema = z.object({
  type: z.literal('response'),
  requestId: z.string(),
  ok: z.boolean(),
  /** Request-specific result (see PROTOCOL.md); validated by the requester. */
  result: z.unknown().optional(),
  error: z.object({ code: ErrorCodeSchema, message: z.string() }).optional(),
});
export type Response = z.infer<typeof ResponseSchema>;

/** Picks the highest version both sides speak, or undefined when there is none. */
export function negotiateVersion(offered: readonly number[], supported: readonly number[] = SUPPORTED_PROTOCOL_VERSIONS): number | undefined {
  const common = offered.filter((v) => supported.includes(v));
  return common.length === 0 ? undefined : Math.max(...common);
}
