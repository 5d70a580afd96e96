// ORS extension elements, registered through the interpreter's extension hook:
//   <session:start src|srcexpr> <param/>*      -> session.start.done {sessionid} | error.session.start
//   <session:terminate sessionid|sessionidexpr> (default: this session)
//   <session:fetch src|srcexpr method type timeout> <param/>* <content/>?
//                                               -> session.fetch.done {status, contentType, content} | error.session.fetch
//   <session:response requestid|requestidexpr status> <param/>* <content/>?
//                                               answers the waiting POST .../request/<name> (requestid = _event.sendid)
// The namespace is ORS's session module, with and without the "http://" ORS documents
// omit. Child sessions start on this node (the host's startSession).
import type {
  CompiledExpression,
  CompileTools,
  ExecutionContext,
  ExtensionAction,
  ExtensionElementHandler,
  ExtensionRegistry,
  XmlElement,
} from '../scxml/index.ts';
import type { SessionHostServices } from './strategy-engine.ts';

export const ORS_SESSION_NAMESPACES = [
  'http://www.genesyslab.com/modules/session',
  'www.genesyslab.com/modules/session',
] as const;

/** What extension actions find in `ctx.services`. */
function services(ctx: ExecutionContext): SessionHostServices {
  return ctx.services as SessionHostServices;
}

/** `name` / `nameexpr`: a literal attribute or an expression attribute, compiled once. */
function valueOf(el: XmlElement, tools: CompileTools, name: string): CompiledExpression | string | undefined {
  const expr = el.attributes[`${name}expr`];
  if (expr !== undefined) return tools.expression(expr, el);
  return el.attributes[name];
}

function evaluate(ctx: ExecutionContext, value: CompiledExpression | string | undefined): unknown {
  return typeof value === 'string' || value === undefined ? value : ctx.evaluate(value);
}

interface CompiledParams {
  params: { name: string; value: CompiledExpression }[];
  content?: CompiledExpression | string;
}

/** `<param name expr|location>` and `<content expr>` / text children. */
function compileParams(el: XmlElement, tools: CompileTools): CompiledParams {
  const out: CompiledParams = { params: [] };
  for (const child of el.children) {
    if (typeof child === 'string') continue;
    if (child.localName === 'param') {
      const name = child.attributes.name;
      const expr = child.attributes.expr ?? child.attributes.location;
      if (!name || !expr) throw tools.error('<param> needs name and expr (or location)', child);
      out.params.push({ name, value: tools.expression(expr, child) });
    } else if (child.localName === 'content') {
      if (child.attributes.expr) out.content = tools.expression(child.attributes.expr, child);
      else out.content = child.children.filter((c): c is string => typeof c === 'string').join('').trim();
    } else {
      throw tools.error(`unexpected <${child.localName}> inside <${el.localName}>`, child);
    }
  }
  return out;
}

function paramValues(ctx: ExecutionContext, compiled: CompiledParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { name, value } of compiled.params) out[name] = toPlain(ctx.evaluate(value));
  return out;
}

/** Values leave the session's realm as plain JSON-compatible data. */
function toPlain(value: unknown): unknown {
  if (value === undefined || value === null || typeof value !== 'object') return value;
  return JSON.parse(JSON.stringify(value));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const start: ExtensionElementHandler = {
  compile(el, tools): ExtensionAction {
    const src = valueOf(el, tools, 'src');
    if (src === undefined) throw tools.error('<session:start> needs src or srcexpr', el);
    const params = compileParams(el, tools);
    return (ctx) => {
      const target = String(evaluate(ctx, src));
      const parameters = paramValues(ctx, params);
      services(ctx)
        .startSession(ctx.sessionId, target, parameters)
        .then(
          (sessionid) => ctx.enqueue({ name: 'session.start.done', data: { sessionid, src: target } }),
          (error: unknown) => ctx.enqueue({ name: 'error.session.start', data: { src: target, message: message(error) } }),
        );
    };
  },
};

const terminate: ExtensionElementHandler = {
  compile(el, tools): ExtensionAction {
    const id = valueOf(el, tools, 'sessionid');
    return (ctx) => {
      const target = id === undefined ? ctx.sessionId : String(evaluate(ctx, id));
      // Not inside the running macrostep: the target may be this very session.
      setImmediate(() => {
        try {
          services(ctx).terminateSession(target);
        } catch {
          // Already finished: nothing to do.
        }
      });
    };
  },
};

const fetchElement: ExtensionElementHandler = {
  compile(el, tools): ExtensionAction {
    const src = valueOf(el, tools, 'src');
    if (src === undefined) throw tools.error('<session:fetch> needs src or srcexpr', el);
    const method = valueOf(el, tools, 'method');
    const type = el.attributes.type;
    const timeout = el.attributes.timeout;
    const params = compileParams(el, tools);
    return (ctx) => {
      const url = new URL(String(evaluate(ctx, src)));
      const verb = String(evaluate(ctx, method) ?? 'get').toUpperCase();
      const values = paramValues(ctx, params);
      const content = typeof params.content === 'string' ? params.content : toPlain(evaluate(ctx, params.content));
      let body: string | undefined;
      const headers: Record<string, string> = {};
      if (verb === 'GET' || verb === 'DELETE') {
        for (const [k, v] of Object.entries(values)) url.searchParams.set(k, String(v));
      } else if (content !== undefined) {
        body = typeof content === 'string' ? content : JSON.stringify(content);
        headers['content-type'] = type ?? (typeof content === 'string' ? 'text/plain' : 'application/json');
      } else if (type === 'application/x-www-form-urlencoded') {
        body = new URLSearchParams(Object.entries(values).map(([k, v]): [string, string] => [k, String(v)])).toString();
        headers['content-type'] = type;
      } else {
        body = JSON.stringify(values);
        headers['content-type'] = 'application/json';
      }
      const sendid = `fetch-${Math.random().toString(36).slice(2)}`;
      services(ctx)
        .fetch({ url: url.href, method: verb, headers, body, timeoutMs: timeout ? Number(timeout) : undefined })
        .then(
          (result) =>
            ctx.enqueue(
              result.status >= 400
                ? { name: 'error.session.fetch', sendid, data: { status: result.status, content: result.body } }
                : {
                    name: 'session.fetch.done',
                    sendid,
                    data: { status: result.status, contentType: result.contentType, content: result.body },
                  },
            ),
          (error: unknown) => ctx.enqueue({ name: 'error.session.fetch', sendid, data: { message: message(error) } }),
        );
    };
  },
};

const response: ExtensionElementHandler = {
  compile(el, tools): ExtensionAction {
    // As in ORS, `requestid` is an expression (typically `_event.sendid`, the default).
    const requestId = tools.expression(el.attributes.requestid ?? '_event.sendid', el);
    const status = el.attributes.status;
    const params = compileParams(el, tools);
    return (ctx) => {
      const id = String(ctx.evaluate(requestId));
      const data = params.content !== undefined
        ? typeof params.content === 'string' ? params.content : toPlain(ctx.evaluate(params.content))
        : paramValues(ctx, params);
      services(ctx).respond(ctx.sessionId, id, { status: status ? Number(status) : 200, data });
    };
  },
};

export function orsExtensions(): ExtensionRegistry {
  const handlers = { start, terminate, fetch: fetchElement, response };
  return Object.fromEntries(ORS_SESSION_NAMESPACES.map((ns) => [ns, handlers]));
}
