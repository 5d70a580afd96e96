// The simulator's HTTP control API, on the same port as its WebSocket: tests and
// operators offer calls, reroute or release them, fill queues, start a load run and
// read the statistics and the pull log. JSON in, JSON out; bad input gets a 4xx.
import type http from 'node:http';
import { z } from 'zod';
import { AttachedDataSchema } from '../telephony/voice-messages.ts';
import { LoadSchema } from './sim-config.ts';
import { startLoad } from './load-generator.ts';
import type { LoadRun } from './load-generator.ts';
import type { TelephonySimulator } from './telephony-simulator.ts';

const NewCallSchema = z.object({
  routingPoint: z.string().min(1),
  callId: z.string().min(1).optional(),
  callType: z.enum(['inbound', 'outbound', 'internal', 'consult']).optional(),
  primaryCallId: z.string().min(1).optional(),
  attachedData: AttachedDataSchema.optional(),
  ani: z.string().optional(),
  patienceMs: z.number().int().positive().optional(),
  talkMs: z.number().int().nonnegative().optional(),
});
const RerouteSchema = z.object({ routingPoint: z.string().min(1) });
const EnqueueSchema = z.object({
  queue: z.string().min(1),
  count: z.number().int().positive().max(100_000).default(1),
  data: AttachedDataSchema.default({}),
});
const InjectSchema = z.object({ raw: z.string() });
/** `holdMs`: refuse the process's reconnections this long (it misses the events meanwhile). */
const DropSchema = z.object({ holdMs: z.number().int().min(0).max(600_000).default(0) });

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1 << 20) throw new HttpError(413, 'too-large', 'request body over 1 MiB');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'malformed', 'request body is not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpError(400, 'invalid', result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
  }
  return result.data;
}

export function simControlApi(sim: TelephonySimulator, routingPoints: readonly string[]): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  let load: LoadRun | undefined;
  let loadFinished = false;

  const routes = async (method: string, path: string[], req: http.IncomingMessage): Promise<[number, unknown]> => {
    const [first, id, action] = path;
    if (method === 'GET' && first === 'stats' && !id) return [200, sim.report()];
    if (method === 'GET' && first === 'pull-log' && !id) return [200, sim.pullLog];
    if (method === 'GET' && first === 'connections' && !id) return [200, sim.connectedProcesses()];
    if (method === 'POST' && first === 'connections' && id && action === 'drop') {
      const { holdMs } = parse(DropSchema, await readJson(req));
      const dropped = sim.dropConnections(id, holdMs);
      if (dropped === 0) throw new HttpError(404, 'unknown-process', `no connection of process "${id}"`);
      return [200, { dropped }];
    }
    if (first === 'calls') {
      if (method === 'POST' && !id) {
        const spec = parse(NewCallSchema, await readJson(req));
        try {
          return [201, { callId: sim.offerCall(spec) }];
        } catch (err) {
          throw new HttpError(400, 'invalid', (err as Error).message);
        }
      }
      if (method === 'GET' && id && !action) {
        const info = sim.callInfo(id);
        if (!info) throw new HttpError(404, 'unknown-call', `no call "${id}"`);
        return [200, info];
      }
      if (method === 'POST' && id && (action === 'reroute' || action === 'release')) {
        const failure = action === 'reroute' ? sim.rerouteCall(id, parse(RerouteSchema, await readJson(req)).routingPoint) : sim.releaseCall(id);
        if (failure) throw new HttpError(failure.code === 'unknown-call' ? 404 : 409, failure.code, failure.message);
        return [200, sim.callInfo(id)];
      }
    }
    if (method === 'POST' && first === 'interactions' && !id) {
      const body = parse(EnqueueSchema, await readJson(req));
      if (!sim.queueNames().includes(body.queue)) throw new HttpError(400, 'invalid', `unknown queue "${body.queue}"`);
      return [201, { interactionIds: sim.enqueueInteractions(body.queue, body.count, body.data) }];
    }
    if (first === 'load' && !id) {
      if (method === 'POST') {
        if (load && !loadFinished) throw new HttpError(409, 'busy', 'a load run is already in progress');
        const spec = parse(LoadSchema, await readJson(req));
        const unknown = (spec.routingPoints ?? []).filter((rp) => !routingPoints.includes(rp));
        if (unknown.length > 0) throw new HttpError(400, 'invalid', `routingPoints: unknown routing point(s) ${unknown.map((rp) => `"${rp}"`).join(', ')}`);
        load = startLoad(sim, spec, spec.routingPoints ?? routingPoints);
        loadFinished = false;
        void load.done.then(() => (loadFinished = true));
        return [202, { planned: load.planned }];
      }
      if (method === 'GET') return [200, load ? { planned: load.planned, offered: load.offered(), finished: loadFinished } : { planned: 0, offered: 0, finished: true }];
    }
    if (method === 'POST' && first === 'inject' && !id) {
      return [200, { sentTo: sim.injectRaw(parse(InjectSchema, await readJson(req)).raw) }];
    }
    throw new HttpError(404, 'not-found', `no route ${method} /${path.join('/')}`);
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    routes(req.method ?? 'GET', path, req)
      .then(([status, body]) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      })
      .catch((err: unknown) => {
        const e = err instanceof HttpError ? err : new HttpError(500, 'internal', (err as Error).message);
        res.writeHead(e.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: e.code, message: e.message }));
      });
  };
}
