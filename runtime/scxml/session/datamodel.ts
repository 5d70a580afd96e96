// The datamodel's initialisation (SCXML 5.2, 5.3: early/late binding, system variables
// 5.10) and the values of <content>, <param>, namelist and <donedata> (5.5-5.7).
import type { Snippet } from '../datamodel/ecmascript.ts';
import type { ContentSpec, ParamSpec, StateModel } from '../model.ts';
import { BASIC_HTTP_PROCESSOR } from './state.ts';
import { evaluate, raiseError } from './executable-content.ts';
import type { Session } from './session.ts';

export function initSystemVariables(session: Session): void {
  const d = session.data;
  d._sessionid = session.id;
  d._name = session.model.name;
  d._event = undefined;
  const extra = session.options.ioProcessors;
  if (!extra) d._ioprocessors = session.realm.makeIoProcessors(session.id, undefined);
  else {
    const io: Record<string, { location: string }> = {};
    for (const [type, p] of Object.entries(extra)) {
      io[type] = { location: p.location(session.id) };
      if (type === BASIC_HTTP_PROCESSOR) io.basichttp = io[type]!;
    }
    d._ioprocessors = session.realm.makeIoProcessors(session.id, io);
  }
}

export function initializeData(session: Session, items: StateModel['data']): void {
  const overrides = session.options.data;
  for (const item of items) {
    if (overrides && Object.hasOwn(overrides, item.id)) {
      session.data[item.id] = session.realm.importValue(overrides[item.id]);
      continue;
    }
    try {
      if (item.expr) session.data[item.id] = evaluate(session, item.expr);
      else if (item.content) session.data[item.id] = evaluate(session, item.content);
      else if (item.xml) session.data[item.id] = session.realm.makeDom(item.xml);
      else session.data[item.id] = item.text;
    } catch (e) {
      session.data[item.id] = undefined;
      raiseError(session, 'error.execution', e);
    }
  }
}

export function evaluateDonedata(session: Session, s: StateModel): unknown {
  if (!s.donedata) return undefined;
  try {
    if (s.donedata.content) return evaluateContent(session, s.donedata.content);
    return evaluateParams(session, s.donedata.params, [], []);
  } catch (e) {
    raiseError(session, 'error.execution', e);
    return undefined;
  }
}

export function evaluateContent(session: Session, content: ContentSpec): unknown {
  if (content.expr) return evaluate(session, content.expr);
  if (content.xml) return session.realm.makeDom(content.xml);
  return content.text;
}

export function evaluateParams(session: Session, params: ParamSpec[], namelist: Snippet[], names: string[]): unknown {
  if (params.length === 0 && names.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) {
    const v = evaluate(session, namelist[i]!);
    out[names[i]!] = v;
  }
  for (const p of params) {
    const source = p.expr ?? p.location;
    out[p.name] = source ? evaluate(session, source) : undefined;
  }
  return session.realm.importValue(out);
}
