// The whole wire protocol in one place: which messages each side may send, and how a
// received frame is turned into a validated message or a reason to ignore it. Nothing
// here throws on bad input: a peer logs the reason and keeps the connection.
import { z } from 'zod';
import {
  ErrorCodeSchema,
  HelloSchema,
  ProtocolErrorSchema,
  ResponseSchema,
  RoleChangedSchema,
  WelcomeSchema,
} from './connection-messages.ts';
import type { ErrorCode } from './connection-messages.ts';
import { CallEventSchema, VoiceRequestSchema } from './voice-messages.ts';
import { LeaseExpiredSchema, MultimediaRequestSchema } from './multimedia-messages.ts';

/** Everything a runtime (client) may send. */
export const ClientMessageSchema = z.union([HelloSchema, RoleChangedSchema, VoiceRequestSchema, MultimediaRequestSchema]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** Everything a telephony server may send. */
export const ServerMessageSchema = z.union([
  WelcomeSchema,
  ResponseSchema,
  ProtocolErrorSchema,
  CallEventSchema,
  LeaseExpiredSchema,
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

export type Decoded<T> =
  | { ok: true; message: T }
  | { ok: false; code: ErrorCode; message: string; requestId?: string };

/** Maps each message `type` to the schema of that message, by walking the unions. */
function schemasByType(schema: z.ZodType): Map<string, z.ZodType> {
  const found = new Map<string, z.ZodType>();
  const walk = (s: z.ZodType): void => {
    const def = (s as unknown as { def: { type: string; options?: z.ZodType[]; shape?: Record<string, z.ZodType> } }).def;
    if (def.type === 'union' && def.options) def.options.forEach(walk);
    else if (def.type === 'object' && def.shape?.['type']) {
      const literal = (def.shape['type'] as unknown as { def: { values: unknown[] } }).def.values;
      for (const v of literal) found.set(String(v), s);
    }
  };
  walk(schema);
  return found;
}

const clientSchemas = schemasByType(ClientMessageSchema);
const serverSchemas = schemasByType(ServerMessageSchema);

/** The message types each side may send (for docs, tests and error messages). */
export const CLIENT_MESSAGE_TYPES: ReadonlySet<string> = new Set(clientSchemas.keys());
export const SERVER_MESSAGE_TYPES: ReadonlySet<string> = new Set(serverSchemas.keys());

function decode<T>(raw: string, schemas: ReadonlyMap<string, z.ZodType>): Decoded<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, code: 'malformed', message: `not JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'malformed', message: 'a message must be a JSON object' };
  }
  const record = value as Record<string, unknown>;
  const requestId = typeof record['requestId'] === 'string' ? record['requestId'] : undefined;
  const type = record['type'];
  if (typeof type !== 'string') {
    return { ok: false, code: 'malformed', message: 'a message needs a string "type"', requestId };
  }
  const schema = schemas.get(type);
  if (!schema) {
    return { ok: false, code: 'unknown-type', message: `unknown message type "${type}"`, requestId };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const text = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
    return { ok: false, code: 'invalid', message: `invalid "${type}": ${text}`, requestId };
  }
  // The per-type schema is a branch of the union that defines T.
  return { ok: true, message: parsed.data as T };
}

export function decodeClientMessage(raw: string): Decoded<ClientMessage> {
  return decode<ClientMessage>(raw, clientSchemas);
}

export function decodeServerMessage(raw: string): Decoded<ServerMessage> {
  return decode<ServerMessage>(raw, serverSchemas);
}

export function isErrorCode(value: string): value is ErrorCode {
  return ErrorCodeSchema.safeParse(value).success;
}
