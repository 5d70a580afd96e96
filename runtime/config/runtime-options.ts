// The runtime's configuration: ORS option names (kebab-case, ORS defaults) plus what a
// process needs to run (node id, ports, strategies, log level, role input, limits).
// One flat schema so every option can come, by the same name, from a file, from an
// environment variable (ORS_<NAME_IN_UPPER_SNAKE>) or from a flag (--<name>). Other
// areas (HA, persistence) add their options by extending `optionGroups` below.
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { cassandraOptions } from '../store/cassandra-options.ts';

/** Booleans given as strings ("true", "false", "1", "0", "yes", "no") by env and flags. */
const flag = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
}, z.boolean());

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/** The CPUs this process may use, at most 8 (ORS's session-processing-threads default). */
function defaultSessionProcessingThreads(): number {
  return Math.min(8, availableParallelism());
}

/**
 * Sessions restarted per batch after a switchover and calls pulled per telephony request:
 * ORS's session-processing-threads, by default the CPUs this process may use, at most 8.
 */
export function sessionProcessingThreads(config: { 'session-processing-threads'?: number | undefined }): number {
  return config['session-processing-threads'] ?? defaultSessionProcessingThreads();
}

/**
 * Engine threads: session-processing-threads when given; by default one fewer than the CPUs,
 * at least 1, because the I/O thread (HTTP, /heartbeat, the Lease, sync, telephony) keeps a
 * core busy of its own. One engine thread per CPU would have three threads share two cores
 * under HTTP load, and every batch for an engine thread then wakes a thread that was
 * descheduled (a context switch, on a virtual machine an inter-processor interrupt):
 * bench/runtime-http.bench.ts measured a quarter more CPU per event that way.
 */
export function engineThreadCount(config: { 'session-processing-threads'?: number | undefined }): number {
  return config['session-processing-threads'] ?? Math.max(1, defaultSessionProcessingThreads() - 1);
}

/** Defaults that depend on the machine, as the reference shows them. */
export const documentedDefaults: Partial<Record<string, string>> = {
  'session-processing-threads': 'CPUs available, at most 8 (engine threads: one fewer, at least 1)',
};

/** "name=value,name=value" from env/flags, or a JSON object, or an object from a file. */
const stringMap = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return {};
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch {
      return value;
    }
  }
  const entries = text.split(',').map((pair) => {
    const at = pair.indexOf('=');
    return at < 0 ? [pair.trim(), ''] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
  });
  return Object.fromEntries(entries);
}, z.record(z.string().min(1), z.string().min(1)));

const httpUrl = z.url({ protocol: /^https?$/ });

/** A node id goes into session ids and DNS names: a DNS label. */
export const NodeIdSchema = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a DNS label: lowercase letters, digits and "-", at most 63');

/** ORS options: same names and defaults as ORS (DESIGN §3.3). */
const orsOptions = {
  'call-watching-timeout': integer(0).default(5000).describe('ms a backup or reserved node watches a call for its session'),
  'backup-synch-max-buffer': integer(1).default(100).describe('KB of sync data batched before it is sent to the backup'),
  'backup-synch-max-age': integer(1).default(600).describe('s sync data may wait before it is sent to the backup'),
  'heartbeat-backup-status': z.coerce
    .number()
    .int()
    .min(400, 'a backup must fail the load balancers\' health checks: below 400 it passes HAProxy\'s httpchk, mod_proxy_hcheck and Kubernetes readiness (any 2xx/3xx), and 200-206 the F5 monitor (HTTP/1.[01] 20[0-6])')
    .max(599)
    .default(503)
    .describe(
      'HTTP status of /heartbeat on a backup (a primary answers 200). 400-599 only: every health check of the load-balancing guide must fail on a backup, or the balancer sends it traffic — the F5 monitor (GET /heartbeat HTTP/1.0, expecting HTTP/1.[01] 20[0-6]) takes 200-206 as healthy, HAProxy\'s option httpchk, mod_proxy_hcheck and Kubernetes readiness probes any 2xx or 3xx',
    ),
  'restart-session-on-switchover': flag.default(false).describe('a new primary restarts the sessions of its calls'),
  'session-restart-timeout': integer(10).default(50).describe('ms between batches of restarted sessions (min 10)'),
  'session-processing-threads': integer(1, 1024)
    .optional()
    .describe(
      'engine threads running strategy code (each session lives on one), and the sessions restarted per batch after a switchover; default: the CPUs this process may use, at most 8, and one engine thread fewer (at least 1), as the I/O thread keeps a core of its own',
    ),
  'sessionid-with-nodeid': flag.default(true).describe('session ids embed the owning node id'),
  'external-url': httpUrl.optional().describe("this node's base URL as clients reach it (target of 307s)"),
  'new-session-on-reroute': flag.default(false).describe('a rerouted call gets a new session'),
  'same-node-for-cons-prim-calls': flag.default(false).describe('a consult call goes to its primary call\'s node'),
} as const;

/** What one runtime process needs beyond the ORS options. */
const processOptions = {
  'node-id': NodeIdSchema.default('node-0').describe('the ORS node (primary/backup pair) this process belongs to'),
  'http-host': z.string().min(1).default('127.0.0.1').describe('address the REST API listens on'),
  'http-port': integer(0, 65535).default(8080).describe('port of the REST API (0: any free port)'),
  'sync-port': integer(0, 65535).default(8081).describe('port of the primary-to-backup sync channel'),
  'log-level': z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level'),
  applications: stringMap
    .default({})
    .describe('named strategies: name=path-or-url, usable as src of a session start'),
  'strategies-dir': z.string().min(1).optional().describe('directory of the strategy files a session start may name as src (relative paths, nothing outside it)'),
  'node-urls': stringMap
    .default({})
    .describe('external URL of every node by node id: node-id=url (targets of 307 for sessions of other nodes)'),
  role: z.enum(['primary', 'backup']).default('primary').describe('static role when no role file is given'),
  'role-file': z.string().min(1).optional().describe('JSON file with {role, epoch, primaryUrl}; re-read on change'),
  'primary-url': httpUrl.optional().describe("the primary's URL a static backup redirects to"),
} as const;

/** Limits that keep a node answering under overload (429/503, never a crash). */
const limitOptions = {
  'max-sessions': integer(1).default(100_000).describe('live sessions on this node; beyond it starts get 503'),
  'max-queue-length': integer(1).default(1000).describe('pending events of one session; beyond it events get 429'),
  'max-body-size': integer(1).default(64 * 1024).describe('bytes of a request body; beyond it 413'),
  'request-timeout': integer(1).default(10_000).describe('ms a /request waits for the session\'s <response>'),
  'document-cache-size': integer(1).default(256).describe('compiled SCXML documents kept'),
  'fetch-timeout': integer(1).default(10_000).describe('ms for fetching an http(s) src or <session:fetch>'),
  'max-document-size': integer(1).default(1024 * 1024).describe('bytes of an SCXML document (file or http(s) src); beyond it the start gets 400'),
  'max-json-depth': integer(1, 1000).default(32).describe('nesting depth of a JSON request body; deeper bodies get 400 before they reach a session'),
  'shutdown-timeout': integer(0).default(10_000).describe('ms SIGTERM waits for in-flight requests'),
  'macrostep-budget': integer(1)
    .default(1000)
    .describe('ms one script or expression may run; beyond it the interpreter raises error.execution'),
  'macrostep-hard-limit': integer(1)
    .default(3000)
    .describe('ms one macrostep may run before the watchdog ends its session and restores the engine thread\'s others'),
  'session-processing-thread-heap': integer(16)
    .default(512)
    .describe('MB of V8 heap per engine thread; beyond it the allocating session ends and the thread\'s others are restored'),
} as const;

/** "a,b,c" from env/flags, or an array from a file. */
const stringList = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}, z.array(z.string().min(1)));

/** Who may use the REST API and where strategies may come from (runtime/http/api-access.ts). */
const accessOptions = {
  auth: z
    .enum(['bearer', 'mtls', 'none'])
    .default('bearer')
    .describe('REST API authentication: bearer (tokens of auth-tokens-file), mtls (client certificates signed by tls-client-ca-file) or none; /heartbeat and /livez stay open'),
  'auth-tokens-file': z.string().min(1).optional().describe('file of accepted bearer tokens, one a line (a mounted Secret); re-read when it changes'),
  'metrics-auth': z
    .enum(['none', 'api', 'tokens'])
    .default('none')
    .describe('who may read /metrics: anyone (none), whoever may use the API (api), or bearer tokens of metrics-tokens-file (tokens)'),
  'metrics-tokens-file': z.string().min(1).optional().describe('file of bearer tokens accepted on /metrics when metrics-auth is tokens'),
  'tls-cert-file': z.string().min(1).optional().describe('PEM server certificate (chain): the REST API serves HTTPS'),
  'tls-key-file': z.string().min(1).optional().describe('PEM private key of tls-cert-file'),
  'tls-client-ca-file': z.string().min(1).optional().describe('PEM CA bundle that signs client certificates (auth mtls)'),
  'src-url-prefixes': stringList
    .default([])
    .describe('http(s) URL prefixes a session start may name as src (and redirects may lead to); none by default: only applications and files under strategies-dir'),
} as const;

/** The telephony / interaction server connection (runtime/telephony/PROTOCOL.md). */
const telephonyOptions = {
  'telephony-url': z.url({ protocol: /^wss?$/ }).optional().describe('WebSocket URL of the telephony server (ors sim); unset: no voice calls or interactions'),
  'cluster-nodes': z.preprocess(
    (value) => (typeof value === 'string' ? value.split(',').map((item) => item.trim()).filter((item) => item !== '') : value),
    z.array(NodeIdSchema),
  ).optional().describe('every node id of the cluster, for call placement (default: node-id and the node-urls keys)'),
  'multimedia-queues': stringList.optional().describe('interaction queues this node pulls from (default: all the server announces)'),
  'multimedia-pull-interval': integer(10).default(200).describe('ms between pulls when queues were empty'),
  'interaction-lease-renew-interval': integer(50).default(5000).describe('ms between renewals of the leases on pulled interactions'),
} as const;

/** High availability: leader election, the sync port's key, the session store (runtime/ha). */
const haOptions = {
  lease: z
    .enum(['none', 'file', 'kubernetes'])
    .default('none')
    .describe('where the primary is elected: none (static role/role-file), a file lease, or a Kubernetes Lease'),
  'lease-dir': z.string().min(1).optional().describe('directory of the file lease (shared by the two processes of a node)'),
  'lease-name': z.string().min(1).optional().describe('name of the Kubernetes Lease (default ors-<node-id>)'),
  'lease-namespace': z.string().min(1).optional().describe('namespace of the Lease (default: POD_NAMESPACE, else "default")'),
  'lease-duration': integer(100).default(15_000).describe('ms a lease stays valid for others after its last renewal'),
  'lease-renew-deadline': integer(50).default(10_000).describe('ms a primary may fail to renew before it steps down (< lease-duration)'),
  'lease-retry-period': integer(10).default(2_000).describe('ms between lease attempts (< lease-renew-deadline)'),
  identity: z.string().min(1).optional().describe('this process in the lease (default: the host name, i.e. the pod name)'),
  'sync-host': z.string().min(1).default('127.0.0.1').describe('address the sync port listens on'),
  'sync-advertise-address': z.string().min(1).optional().describe('host:port the backup dials for sync (default: sync-host and the bound port)'),
  'sync-key': z.string().min(16).optional().describe('shared key authenticating the sync port (at least 16 bytes)'),
  'sync-key-file': z.string().min(1).optional().describe('file holding the sync key (a mounted Secret)'),
  'session-store': z.enum(['memory', 'file', 'cassandra']).default('file').describe('where persisted sessions are kept (with a lease)'),
  'session-store-dir': z.string().min(1).optional().describe('directory of the file session store (shared by the two processes of a node)'),
} as const;

/** Every option group; HA and persistence add theirs here. */
export const optionGroups = {
  ors: orsOptions,
  process: processOptions,
  limits: limitOptions,
  access: accessOptions,
  ha: haOptions,
  cassandra: cassandraOptions,
  telephony: telephonyOptions,
} as const;

export const RuntimeConfigSchema = z
  .object({ ...orsOptions, ...processOptions, ...limitOptions, ...accessOptions, ...haOptions, ...cassandraOptions, ...telephonyOptions })
  .strict();

export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema>;
export type RuntimeConfigInput = z.input<typeof RuntimeConfigSchema>;
export type OptionName = keyof RuntimeConfig;

export const optionNames = Object.keys(RuntimeConfigSchema.shape) as OptionName[];

export function describeOption(name: OptionName): string {
  return RuntimeConfigSchema.shape[name].description ?? '';
}

/** What an option accepts, in words, for error messages ("an integer from 200 to 599"). */
export function allowedValues(name: OptionName): string {
  // Walk through default/optional/preprocess wrappers to the schema that validates.
  let schema = RuntimeConfigSchema.shape[name] as unknown as z.ZodType;
  for (;;) {
    const def = schema.def as { innerType?: z.ZodType; out?: z.ZodType };
    const next = def.innerType ?? def.out;
    if (!next) break;
    schema = next;
  }
  if (schema instanceof z.ZodNumber) {
    const kind = schema.isInt ? 'an integer' : 'a number';
    const min = schema.minValue ?? -Infinity;
    const max = schema.maxValue ?? Infinity;
    if (max >= Number.MAX_SAFE_INTEGER) return `${kind} >= ${min}`;
    return `${kind} from ${min} to ${max}`;
  }
  if (schema instanceof z.ZodEnum) return `one of ${schema.options.join(', ')}`;
  if (schema instanceof z.ZodBoolean) return 'true or false';
  if (schema instanceof z.ZodRecord) return 'name=value pairs separated by commas, or a JSON object';
  if (name === 'external-url' || name === 'primary-url') return 'an http(s) URL';
  return 'a non-empty string';
}
