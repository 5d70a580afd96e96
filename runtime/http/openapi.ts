// The OpenAPI 3.1 description of every route the runtime serves (GET /openapi.json);
// /ors/help is generated from it, so the two cannot drift.
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const sessionIdParam = {
  name: 'sessionId',
  in: 'path',
  required: true,
  description: 'session id, `<20 base32 chars>.<node-id>`: the owning node is the part after the ".", the route Apache mod_proxy_balancer reads from the ORSSESSIONID cookie (ids of the previous format, `<node-id>.<20 base32 chars>`, are still accepted)',
  schema: { type: 'string' },
};

const parametersBody = {
  required: false,
  content: {
    'application/x-www-form-urlencoded': { schema: { type: 'object', additionalProperties: { type: 'string' } } },
    'application/json': { schema: { type: 'object', additionalProperties: true } },
  },
};

const sessionErrors = {
  '307': { description: 'the session belongs to another node, or this process is a backup: follow Location' },
  '400': errorResponse('bad parameters'),
  '404': errorResponse('unknown session'),
  '409': errorResponse('the session has finished'),
  '413': errorResponse('body larger than max-body-size'),
  '415': errorResponse('content type other than form-urlencoded or JSON'),
};

const cookieHeader = {
  'Set-Cookie': { description: '`ORSSESSIONID=<session id>; Path=/` for load-balancer stickiness', schema: { type: 'string' } },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'ORS runtime REST API',
    version: '1.0.0',
    description:
      'One ORS runtime process (primary or backup of a node). Session routes follow the Orchestration Server REST API.',
  },
  paths: {
    '/scxml/session/start': {
      post: {
        summary: 'Start a session',
        description:
          '`src` (required) names an application from the configuration, a file path or an http(s) URL. `idealtime` (ISO 8601 or ms since the epoch) schedules the start. Every other parameter fills the `<data _type="parameter">` item of the same id.',
        requestBody: { ...parametersBody, required: true },
        responses: {
          '200': {
            description: 'session created',
            headers: cookieHeader,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Session' } } },
          },
          '307': { description: 'this process is a backup: follow Location to the primary' },
          '400': errorResponse('missing src, bad idealtime, unknown or invalid document'),
          '413': errorResponse('body larger than max-body-size'),
          '415': errorResponse('unsupported content type'),
          '503': errorResponse('max-sessions reached, shutting down, or no primary known'),
        },
      },
    },
    '/scxml/session/{sessionId}/event/{name}': {
      post: {
        summary: 'Send an event to a session',
        description: 'Parameters (query string and body) become `_event.data`. Answered once queued.',
        parameters: [sessionIdParam, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: parametersBody,
        responses: {
          '200': { description: 'event queued', headers: cookieHeader },
          ...sessionErrors,
          '429': errorResponse('the session queue is full (max-queue-length)'),
        },
      },
    },
    '/scxml/session/{sessionId}/request/{name}': {
      post: {
        summary: "Send a request to a session and wait for its <response>",
        description:
          'Delivered as an event whose `_event.sendid` identifies the request; the session answers with `<response requestid="_event.sendid">`, whose params become the JSON body.',
        parameters: [sessionIdParam, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: parametersBody,
        responses: {
          '200': { description: "the session's response", headers: cookieHeader },
          ...sessionErrors,
          '429': errorResponse('the session queue is full (max-queue-length)'),
          '504': errorResponse('no <response> within request-timeout'),
        },
      },
    },
    '/scxml/session/{sessionId}/query': {
      get: {
        summary: 'Query a session: active configuration, datamodel, metadata',
        parameters: [sessionIdParam],
        responses: { '200': { description: 'session state', headers: cookieHeader }, ...sessionErrors },
      },
    },
    '/scxml/session/{sessionId}/terminate': {
      post: {
        summary: 'Terminate a session',
        parameters: [sessionIdParam],
        responses: { '200': { description: 'terminated', headers: cookieHeader }, ...sessionErrors },
      },
    },
    '/heartbeat': {
      get: {
        summary: 'Health: 200 on a primary, heartbeat-backup-status (default 503) on a backup',
        responses: { '200': { description: 'primary' }, '503': { description: 'backup' } },
      },
    },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
    '/ors/help': { get: { summary: 'The routes of this API, in short', responses: { '200': { description: 'help' } } } },
    '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
  },
  components: {
    schemas: {
      Error: {
        type: 'object',
        required: ['error', 'message'],
        properties: { error: { type: 'string' }, message: { type: 'string' } },
      },
      Session: {
        type: 'object',
        required: ['sessionid'],
        properties: {
          sessionid: { type: 'string' },
          node: { type: 'string' },
          state: { enum: ['scheduled', 'running', 'finished'] },
          startAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;

/** `/ors/help`: one line per route, from the OpenAPI document. */
export function helpText(): { routes: { method: string; path: string; summary: string }[] } {
  const routes = Object.entries(openApiDocument.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replaceAll('{', '<').replaceAll('}', '>'),
      summary: (op as { summary: string }).summary,
    })),
  );
  return { routes };
}
