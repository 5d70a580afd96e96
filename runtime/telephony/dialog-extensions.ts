// SCXML extension elements for calls, through the interpreter's extension hook:
//   <dialog:playsound resource|resourceexpr duration|durationexpr [kind]/>
//        -> apply-treatment request; later dialog.playsound.done {treatmentid} (or
//           error.dialog.playsound); dialog.playsound.started {treatmentid} once accepted
//   <dialog:stop treatmentidexpr/>             -> cancel-treatment request
//   <ixn:redirect to|toexpr/>                  -> route-call request; interaction.routed follows
//   <ixn:attachdata> <param name expr/>* </ixn:attachdata>
//                                              -> update-attached-data request
//   <ixn:stopprocessing [queue|queueexpr]/>    -> multimedia: stop processing (or place in queue)
// Namespaces as ORS documents write them (with and without "http://").
import type { CompiledExpression, CompileTools, ExecutionContext, ExtensionElementHandler, ExtensionRegistry, XmlElement } from '../scxml/index.ts';
import type { TelephonyActions } from './telephony-actions.ts';

export const DIALOG_NAMESPACES = ['http://www.genesyslab.com/modules/dialog', 'www.genesyslab.com/modules/dialog'] as const;
export const INTERACTION_NAMESPACES = ['http://www.genesyslab.com/modules/interaction', 'www.genesyslab.com/modules/interaction'] as const;

function valueOf(el: XmlElement, tools: CompileTools, name: string): CompiledExpression | string | undefined {
  const expr = el.attributes[`${name}expr`];
  if (expr !== undefined) return tools.expression(expr, el);
  return el.attributes[name];
}

function evaluate(ctx: ExecutionContext, value: CompiledExpression | string | undefined): unknown {
  return typeof value === 'string' || value === undefined ? value : ctx.evaluate(value);
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function telephonyExtensions(actions: TelephonyActions): ExtensionRegistry {
  const playsound: ExtensionElementHandler = {
    compile(el, tools) {
      const resource = valueOf(el, tools, 'resource');
      const duration = valueOf(el, tools, 'duration');
      if (duration === undefined) throw tools.error('<dialog:playsound> needs duration or durationexpr (ms)', el);
      if (typeof duration === 'string' && !/^\d+$/.test(duration)) throw tools.error(`<dialog:playsound duration="${duration}">: expected milliseconds`, el);
      const kind = el.attributes['kind'] ?? 'playsound';
      return (ctx) => {
        const durationMs = Number(evaluate(ctx, duration));
        if (!Number.isInteger(durationMs) || durationMs < 0) {
          ctx.enqueue({ name: 'error.dialog.playsound', data: { message: `duration ${String(durationMs)} is not a whole number of ms` } });
          return;
        }
        const res = evaluate(ctx, resource);
        let pending: Promise<string>;
        try {
          pending = actions.applyTreatment(ctx.sessionId, { kind, durationMs, ...(res !== undefined ? { resource: String(res) } : {}) });
        } catch (error) {
          ctx.enqueue({ name: 'error.dialog.playsound', data: { message: message(error) } });
          return;
        }
        pending.then(
          (treatmentid) => ctx.enqueue({ name: 'dialog.playsound.started', data: { treatmentid } }),
          (error: unknown) => ctx.enqueue({ name: 'error.dialog.playsound', data: { message: message(error) } }),
        );
      };
    },
  };

  const stop: ExtensionElementHandler = {
    compile(el, tools) {
      const id = valueOf(el, tools, 'treatmentid');
      if (id === undefined) throw tools.error('<dialog:stop> needs treatmentid or treatmentidexpr', el);
      return (ctx) => {
        const treatmentId = String(evaluate(ctx, id));
        Promise.resolve()
          .then(() => actions.cancelTreatment(ctx.sessionId, treatmentId))
          .catch((error: unknown) => ctx.enqueue({ name: 'error.dialog.stop', data: { treatmentid: treatmentId, message: message(error) } }));
      };
    },
  };

  const redirect: ExtensionElementHandler = {
    compile(el, tools) {
      const to = valueOf(el, tools, 'to');
      if (to === undefined) throw tools.error('<ixn:redirect> needs to or toexpr', el);
      return (ctx) => {
        const target = String(evaluate(ctx, to));
        Promise.resolve()
          .then(() => actions.routeCall(ctx.sessionId, target))
          .catch((error: unknown) => ctx.enqueue({ name: 'error.ixn.redirect', data: { target, message: message(error) } }));
      };
    },
  };

  const attachdata: ExtensionElementHandler = {
    compile(el, tools) {
      const params: { name: string; value: CompiledExpression }[] = [];
      for (const child of el.children) {
        if (typeof child === 'string') continue;
        const name = child.attributes['name'];
        const expr = child.attributes['expr'];
        if (child.localName !== 'param' || !name || !expr) throw tools.error('<ixn:attachdata> holds <param name expr/> only', child);
        params.push({ name, value: tools.expression(expr, child) });
      }
      return (ctx) => {
        const set: Record<string, string | number | boolean | null> = {};
        for (const p of params) {
          const v = ctx.evaluate(p.value);
          set[p.name] = v === null || typeof v === 'number' || typeof v === 'boolean' ? v : String(v);
        }
        Promise.resolve()
          .then(() => actions.updateAttachedData(ctx.sessionId, set, []))
          .catch((error: unknown) => ctx.enqueue({ name: 'error.ixn.attachdata', data: { message: message(error) } }));
      };
    },
  };

  const stopprocessing: ExtensionElementHandler = {
    compile(el, tools) {
      const queue = valueOf(el, tools, 'queue');
      return (ctx) => {
        const q = evaluate(ctx, queue);
        Promise.resolve()
          .then(() => actions.stopProcessing(ctx.sessionId, q === undefined ? undefined : String(q)))
          .catch((error: unknown) => ctx.enqueue({ name: 'error.ixn.stopprocessing', data: { message: message(error) } }));
      };
    },
  };

  const registry: ExtensionRegistry = {};
  for (const ns of DIALOG_NAMESPACES) registry[ns] = { playsound, stop };
  for (const ns of INTERACTION_NAMESPACES) registry[ns] = { redirect, attachdata, stopprocessing };
  return registry;
}
