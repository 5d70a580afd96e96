// The OpenAPI 3.1 description of every route the runtime serves (GET /openapi.json):
// what each accepts (required fields, media types) and every status it answers. A unit
// test checks its paths and methods against api-server.ts's route table, and the
// schemathesis run (test/integration/rest-api-fuzz.test.ts) checks the answers against it.
// The security section follows the process's `auth` option. /ors/help is generated from
// it, so the two cannot drift.
export interface OpenApiOptions {
  auth: 'bearer' | 'mtls' | 'none';
  metricsAuth: 'none' | 'api' | 'tokens';
  maxJsonDepth: number;
  /** Named applications, listed as examples of `src`. */
  applications?: readonly string[];
}

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({ description, ...json(ref('Error')) });

const sessionIdParam = {
  name: 'sessionId',
  in: 'path',
  required: true,
  description: 'session id, `<20 base32 chars>.<node-id>`: the owning node is the part after the ".", the route Apache mod_proxy_balancer reads from the ORSSESSIONID cookie (ids of the previous format, `<node-id>.<20 base32 chars>`, are still accepted); anything else is a 404',
  schema: { type: 'string' },
};
const nameParam = (what: string) => ({ name: 'name', in: 'path', required: true, description: `${what} name`, schema: { type: 'string' } });

const redirect = (why: string) => ({
  description: `${why}: follow Location (same path and query), with the same credentials`,
  headers: { Location: { required: true, schema: { type: 'string' } } },
  ...json(ref('Redirect')),
});

const cookieHeader = {
  'Set-Cookie': { description: '`ORSSESSIONID=<session id>; Path=/` for load-balancer stickiness', schema: { type: 'string' } },
};

function authErrors(options: OpenApiOptions): Record<string, object> {
  if (options.auth === 'none') return {};
  return {
    '401': errorResponse(options.auth === 'bearer' ? 'no or unknown bearer token' : 'no client certificate'),
    ...(options.auth === 'mtls' ? { '403': errorResponse('a client certificate the configured CA did not sign') } : {}),
  };
}

export function openApiDocument(options: OpenApiOptions) {
  const depth = options.maxJsonDepth;
  const apps = options.applications ?? [];
  const srcSchema = { type: 'string', minLength: 1, ...(apps.length > 0 ? { examples: [...apps] } : {}) };
  // A started session's id feeds the session routes (OpenAPI links: clients and
  // stateful fuzzers follow them).
  const sessionLink = (operationId: string) => ({ operationId, parameters: { sessionId: '$response.body#/sessionid' } });
  const parametersBody = (required: boolean, srcRequired: boolean) => ({
    required,
    content: {
      'application/x-www-form-urlencoded': {
        schema: {
          type: 'object',
          ...(srcRequired ? { required: ['src'], properties: { src: srcSchema, idealtime: { type: 'string' } } } : {}),
          additionalProperties: { type: 'string' },
        },
      },
      'application/json': {
        schema: {
          type: 'object',
          description: `an object of parameters, nesting at most ${depth} levels (max-json-depth)`,
          ...(srcRequired
            ? {
                required: ['src'],
                properties: { src: srcSchema, idealtime: { type: ['string', 'integer'], minimum: 0 } },
              }
            : {}),
          additionalProperties: true,
        },
      },
    },
  });
  const auth = authErrors(options);
  const bodyErrors = {
    '400': errorResponse('malformed path or body, or a JSON body nested past max-json-depth'),
    '413': errorResponse('body larger than max-body-size'),
    '415': errorResponse('content type other than form-urlencoded or JSON'),
  };
  const sessionErrors = {
    '307': redirect('the session belongs to another node, or this process is a backup'),
    ...auth,
    '404': errorResponse('no such session (or not a session id)'),
    '409': errorResponse('the session has finished'),
    '503': errorResponse('this backup knows no primary yet, the runtime is shutting down, or a persisted session could not be made durable'),
  };
  const security =
    options.auth === 'bearer' ? [{ bearerAuth: [] }] : options.auth === 'mtls' ? [{ mutualTLS: [] }] : [];
  const metricsSecurity =
    options.metricsAuth === 'none' ? [] : options.metricsAuth === 'api' ? security : [{ metricsBearerAuth: [] }];
  return {
    openapi: '3.1.0',
    info: {
      title: 'ORS runtime REST API',
      version: '1.0.0',
      description:
        'One ORS runtime process (primary or backup of a node). Session routes follow the Orchestration Server REST API. Every error is JSON `{error, message}`; a path this API serves answers other methods with 405 and an Allow header.',
    },
    security,
    paths: {
      '/scxml/session/start': {
        post: {
          summary: 'Start a session',
          operationId: 'startSession',
          description:
            '`src` (required) names an application from the configuration, a file under `strategies-dir` (relative path; nothing outside it), or an http(s) URL under one of the configured `src-url-prefixes` (none by default; redirects only to those prefixes). A document is at most `max-document-size` bytes and fetched within `fetch-timeout`. `idealtime` (ISO 8601 or ms since the epoch) schedules the start. Every other parameter fills the `<data _type="parameter">` item of the same id. Query-string parameters count too; the body wins.',
          requestBody: parametersBody(true, true),
          responses: {
            '200': {
              description: 'session created',
              headers: cookieHeader,
              ...json(ref('Session')),
              links: {
                SendEvent: sessionLink('sendEvent'),
                SendRequest: sessionLink('sendRequest'),
                QuerySession: sessionLink('querySession'),
                TerminateSession: sessionLink('terminateSession'),
              },
            },
            '307': redirect('this process is a backup'),
            ...auth,
            ...bodyErrors,
            '400': errorResponse(
              'missing src, a src the policy refuses (error src-not-allowed), an unknown file or application, a document too large or invalid, a bad idealtime, or a malformed body',
            ),
            '503': errorResponse('max-sessions reached, shutting down, no primary known, or the state could not be made durable'),
          },
        },
      },
      '/scxml/session/{sessionId}/event/{name}': {
        post: {
          summary: 'Send an event to a session',
          operationId: 'sendEvent',
          description: 'Parameters (query string and body) become `_event.data`. Answered once queued.',
          parameters: [sessionIdParam, nameParam('event')],
          requestBody: parametersBody(false, false),
          responses: {
            '200': { description: 'event queued', headers: cookieHeader, ...json(ref('EventQueued')) },
            ...sessionErrors,
            ...bodyErrors,
            '429': errorResponse('the session queue is full (max-queue-length)'),
          },
        },
      },
      '/scxml/session/{sessionId}/request/{name}': {
        post: {
          summary: 'Send a request to a session and wait for its <response>',
          operationId: 'sendRequest',
          description:
            "Delivered as an event whose `_event.sendid` identifies the request; the session answers with `<response requestid=\"_event.sendid\">`, whose params become the JSON body and whose `status` (default 200) the status; a `status` that is not an HTTP status gives 502.",
          parameters: [sessionIdParam, nameParam('request')],
          requestBody: parametersBody(false, false),
          responses: {
            '200': { description: "the session's response (its params)", headers: cookieHeader, ...json({ type: 'object' }) },
            ...sessionErrors,
            ...bodyErrors,
            '409': errorResponse('the session has finished, or has not started yet (idealtime)'),
            '429': errorResponse('the session queue is full (max-queue-length)'),
            '502': errorResponse('the session answered with a status that is not an HTTP status'),
            '504': errorResponse('no <response> within request-timeout'),
            default: { description: 'the status the session\'s <response status> chose, with its params', ...json({ type: 'object' }) },
          },
        },
      },
      '/scxml/session/{sessionId}/query': {
        get: {
          summary: 'Query a session: active configuration, datamodel, metadata',
          operationId: 'querySession',
          parameters: [sessionIdParam],
          responses: {
            '200': { description: 'session state', headers: cookieHeader, ...json(ref('SessionState')) },
            ...sessionErrors,
            '400': errorResponse('malformed path'),
          },
        },
      },
      '/scxml/session/{sessionId}/terminate': {
        post: {
          summary: 'Terminate a session',
          operationId: 'terminateSession',
          description: 'A body, if any, is read (up to max-body-size) and ignored.',
          parameters: [sessionIdParam],
          responses: {
            '200': { description: 'terminated', headers: cookieHeader, ...json(ref('Session')) },
            ...sessionErrors,
            '400': errorResponse('malformed path'),
            '413': errorResponse('body larger than max-body-size'),
          },
        },
      },
      '/heartbeat': {
        get: {
          summary: 'Health: 200 on a primary, heartbeat-backup-status (default 503) on a backup',
          operationId: 'heartbeat',
          description: 'Open (no credentials): the readiness probe and the load balancers\' health check.',
          security: [],
          responses: {
            '200': { description: 'primary', ...json(ref('Heartbeat')) },
            '503': { description: 'backup (the status is heartbeat-backup-status)', ...json(ref('Heartbeat')) },
          },
        },
      },
      '/livez': {
        get: {
          summary: 'Liveness: 200 whenever the process answers, on both roles',
          operationId: 'liveness',
          security: [],
          responses: { '200': { description: 'alive', ...json(ref('Liveness')) } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          operationId: 'metrics',
          description: 'Protected according to metrics-auth: open (none), as the API (api), or by the tokens of metrics-tokens-file (tokens).',
          security: metricsSecurity,
          responses: {
            '200': { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
            ...(options.metricsAuth === 'none' ? {} : options.metricsAuth === 'api' ? auth : { '401': errorResponse('no or unknown bearer token') }),
          },
        },
      },
      '/ors/help': {
        get: {
          summary: 'The routes of this API, in short',
          operationId: 'help',
          responses: { '200': { description: 'help', ...json({ type: 'object', required: ['routes'] }) }, ...auth },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          operationId: 'openApi',
          responses: { '200': { description: 'OpenAPI 3.1', ...json({ type: 'object', required: ['openapi', 'paths'] }) }, ...auth },
        },
      },
    },
    components: {
      securitySchemes: {
        ...(options.auth === 'bearer' ? { bearerAuth: { type: 'http', scheme: 'bearer', description: 'a token of auth-tokens-file' } } : {}),
        ...(options.auth === 'mtls' ? { mutualTLS: { type: 'mutualTLS', description: 'a client certificate signed by tls-client-ca-file' } } : {}),
        ...(options.metricsAuth === 'tokens'
          ? { metricsBearerAuth: { type: 'http', scheme: 'bearer', description: 'a token of metrics-tokens-file' } }
          : {}),
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: { error: { type: 'string' }, message: { type: 'string' } },
        },
        Redirect: { type: 'object', required: ['redirect'], properties: { redirect: { type: 'string' } } },
        Session: { allOf: [ref('SessionMetadata'), { type: 'object', required: ['sessionid'], properties: { sessionid: { type: 'string' } } }] },
        SessionMetadata: {
          type: 'object',
          required: ['sessionId', 'src', 'node', 'state', 'createdAt', 'persist', 'queueLength'],
          properties: {
            sessionId: { type: 'string' },
            src: { type: 'string' },
            node: { type: 'string' },
            state: { enum: ['scheduled', 'running', 'finished'] },
            createdAt: { type: 'string', format: 'date-time' },
            startAt: { type: 'string', format: 'date-time' },
            parentId: { type: 'string' },
            persist: { type: 'boolean' },
            queueLength: { type: 'integer', minimum: 0 },
          },
        },
        EventQueued: {
          type: 'object',
          required: ['sessionid', 'event', 'status'],
          properties: { sessionid: { type: 'string' }, event: { type: 'string' }, status: { const: 'queued' } },
        },
        SessionState: {
          type: 'object',
          required: ['sessionid', 'configuration', 'datamodel', 'metadata'],
          properties: {
            sessionid: { type: 'string' },
            configuration: { type: 'array', items: { type: 'string' } },
            datamodel: { type: 'object' },
            metadata: ref('SessionMetadata'),
          },
        },
        Heartbeat: {
          type: 'object',
          required: ['node', 'role', 'epoch', 'sessions'],
          properties: {
            node: { type: 'string' },
            role: { enum: ['primary', 'backup'] },
            epoch: { type: 'integer' },
            sessions: { type: 'integer', minimum: 0 },
            primaryUrl: { type: 'string' },
          },
        },
        Liveness: {
          type: 'object',
          required: ['status', 'role'],
          properties: { status: { const: 'alive' }, role: { enum: ['primary', 'backup'] } },
        },
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

/** `/ors/help`: one line per route, from the OpenAPI document. */
export function helpText(document: OpenApiDocument): { routes: { method: string; path: string; summary: string }[] } {
  const routes = Object.entries(document.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replaceAll('{', '<').replaceAll('}', '>'),
      summary: (op as { summary: string }).summary,
    })),
  );
  return { routes };
}
