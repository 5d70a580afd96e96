// Element tree -> DocumentModel: states in document order, resolved targets, static
// transition domains, executable content compiled to closures, ECMAScript compiled once.
import { compileExpression, compileLocation, compileScript, linkSnippets } from './datamodel/ecmascript.ts';
import type { Snippet } from './datamodel/ecmascript.ts';
import type {
  Action,
  ContentSpec,
  DataSpec,
  DocumentModel,
  ElementSite,
  ForeachSpec,
  InvokeSpec,
  ParamSpec,
  SendSpec,
  StateKind,
  StateModel,
  TransitionModel,
  XmlTree,
} from './model.ts';
import type { CompileOptions, CompiledBlock, CompiledExpression, CompileTools, XmlElement, XmlNode } from './types.ts';
import { parseXml, SCXML_NS, ScxmlCompileError, serializeXml, textOf } from './xml.ts';

export interface CompileWarning {
  message: string;
  line: number;
  column: number;
  element: string;
}

/** Parses a CSS2 time value ("2s", "500ms", ".5s", "0") into milliseconds; NaN when invalid. */
export function parseDelay(text: string): number {
  const m = /^\s*(\d*\.?\d+)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return NaN;
  const value = Number(m[1]);
  switch (m[2]) {
    case 's':
      return value * 1000;
    case 'm':
      return value * 60_000;
    case 'h':
      return value * 3_600_000;
    case 'd':
      return value * 86_400_000;
    default:
      return value;
  }
}

/** The element children of XML content as a tree (one root element expected). */
function xmlTree(node: XmlElement): XmlTree {
  return {
    n: node.localName,
    a: { ...node.attributes },
    c: node.children.map((c) => (typeof c === 'string' ? c : xmlTree(c))),
  };
}

function xmlContent(children: XmlNode[]): XmlTree | undefined {
  const elements = children.filter((c): c is XmlElement => typeof c !== 'string');
  if (elements.length !== 1) return undefined;
  return xmlTree(elements[0]!);
}

/** Text loaded from a src that is an XML document becomes XML content. */
function xmlFromText(text: string): XmlTree | undefined {
  if (!text.trim().startsWith('<')) return undefined;
  try {
    return xmlTree(parseXml(text));
  } catch {
    return undefined;
  }
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function siteOf(el: XmlElement): ElementSite {
  return { tagname: el.localName, line: el.line, column: el.column };
}

const STATE_ELEMENTS = new Set(['state', 'parallel', 'final', 'history']);

class Compiler {
  readonly snippets: Snippet[] = [];
  readonly states: StateModel[] = [];
  readonly transitions: TransitionModel[] = [];
  readonly stateById = new Map<string, StateModel>();
  readonly allData: DataSpec[] = [];
  readonly warnings: CompileWarning[];
  private readonly pendingTargets: Array<{ transition: TransitionModel; ids: string[]; at: XmlElement }> = [];
  private readonly pendingInitials: Array<{ state: StateModel; ids: string[]; at: XmlElement }> = [];
  private invokeCounter = 0;
  private readonly options: CompileOptions;

  constructor(options: CompileOptions, warnings: CompileWarning[]) {
    this.options = options;
    this.warnings = warnings;
  }

  error(message: string, at: XmlElement): ScxmlCompileError {
    return new ScxmlCompileError(message, at.line, at.column, at.localName, this.options.sourceName);
  }

  private isScxml(el: XmlElement): boolean {
    return el.namespace === SCXML_NS || el.namespace === '';
  }

  private elements(el: XmlElement): XmlElement[] {
    return el.children.filter((c): c is XmlElement => typeof c !== 'string');
  }

  private checkAttributes(el: XmlElement, allowed: string[]): void {
    for (const name of Object.keys(el.attributes)) {
      // Foreign (namespaced) attributes and `_`-prefixed vendor attributes (ORS: _type, _persist) are allowed everywhere.
      if (name.includes(':') || name.startsWith('_')) continue;
      if (!allowed.includes(name)) throw this.error(`unknown attribute "${name}"`, el);
    }
  }

  private exclusive(el: XmlElement, ...names: string[]): void {
    const present = names.filter((n) => el.attributes[n] !== undefined);
    if (present.length > 1) throw this.error(`attributes ${present.join(' and ')} are mutually exclusive`, el);
  }

  private snippet(s: Snippet, at: XmlElement): Snippet {
    if (s.error !== undefined) {
      const message = `invalid ${s.kind} "${s.source}": ${s.error}`;
      if (this.options.invalidExpressions === 'reject') throw this.error(message, at);
      this.warnings.push({ message, line: at.line, column: at.column, element: at.localName });
    }
    s.site = siteOf(at);
    this.snippets.push(s);
    return s;
  }

  expr(source: string | undefined, at: XmlElement): Snippet | undefined {
    return source === undefined ? undefined : this.snippet(compileExpression(source), at);
  }

  location(source: string | undefined, at: XmlElement): Snippet | undefined {
    return source === undefined ? undefined : this.snippet(compileLocation(source), at);
  }

  // ---- states ---------------------------------------------------------------------

  buildRoot(el: XmlElement): StateModel {
    if (!this.isScxml(el) || el.localName !== 'scxml') throw this.error('the root element must be <scxml>', el);
    const datamodel = el.attributes.datamodel;
    // The null datamodel's only expressions are In() predicates, which the ECMAScript one evaluates too.
    if (datamodel !== undefined && datamodel !== 'ecmascript' && datamodel !== 'null') {
      throw this.error(`datamodel "${datamodel}" is not supported (only "ecmascript" and "null")`, el);
    }
    const binding = el.attributes.binding;
    if (binding !== undefined && binding !== 'early' && binding !== 'late') {
      throw this.error(`binding must be "early" or "late"`, el);
    }
    return this.buildState(el, undefined, 'scxml');
  }

  private buildState(el: XmlElement, parent: StateModel | undefined, kind: StateKind): StateModel {
    const index = this.states.length;
    const id = el.attributes.id ?? (kind === 'scxml' ? '__scxml' : `__state${index}`);
    if (kind !== 'scxml') {
      if (this.stateById.has(id)) throw this.error(`duplicate state id "${id}"`, el);
    }
    const state: StateModel = {
      index,
      id,
      kind,
      parent,
      children: [],
      ancestors: parent ? [parent, ...parent.ancestors] : [],
      depth: parent ? parent.depth + 1 : 0,
      lastDescendant: index,
      atomic: false,
      compound: false,
      initial: undefined,
      deep: el.attributes.type === 'deep',
      transitions: [],
      onentry: [],
      onexit: [],
      invokes: [],
      data: [],
      donedata: undefined,
      properChildren: [],
      historyChildren: [],
    };
    this.states.push(state);
    if (kind !== 'scxml') this.stateById.set(id, state);

    switch (kind) {
      case 'scxml':
        break;
      case 'state':
        this.checkAttributes(el, ['id', 'initial']);
        break;
      case 'parallel':
        this.checkAttributes(el, ['id']);
        break;
      case 'final':
        this.checkAttributes(el, ['id']);
        break;
      case 'history':
        this.checkAttributes(el, ['id', 'type']);
        if (el.attributes.type !== undefined && el.attributes.type !== 'deep' && el.attributes.type !== 'shallow') {
          throw this.error('history type must be "deep" or "shallow"', el);
        }
        break;
    }

    let initialElement: XmlElement | undefined;
    for (const child of this.elements(el)) {
      if (!this.isScxml(child)) continue; // foreign elements among states are ignored
      const name = child.localName;
      if (STATE_ELEMENTS.has(name)) {
        if (kind === 'final' || kind === 'history') throw this.error(`<${name}> is not allowed in <${kind}>`, child);
        const sub = this.buildState(child, state, name as StateKind);
        state.children.push(sub);
        if (sub.kind === 'history') state.historyChildren.push(sub);
        else state.properChildren.push(sub);
        continue;
      }
      switch (name) {
        case 'transition':
          if (kind === 'final') throw this.error('<transition> is not allowed in <final>', child);
          if (kind === 'history') {
            if (state.initial) throw this.error('<history> takes one default <transition>', child);
            state.initial = this.buildTransition(child, state, true);
          } else state.transitions.push(this.buildTransition(child, state, false));
          break;
        case 'onentry':
          if (kind === 'history') throw this.error('<onentry> is not allowed in <history>', child);
          state.onentry.push(this.block(child.children, child));
          break;
        case 'onexit':
          if (kind === 'history') throw this.error('<onexit> is not allowed in <history>', child);
          state.onexit.push(this.block(child.children, child));
          break;
        case 'initial':
          if (kind !== 'state') throw this.error('<initial> is only allowed in <state>', child);
          initialElement = child;
          break;
        case 'datamodel':
          for (const d of this.elements(child)) {
            if (!this.isScxml(d) || d.localName !== 'data') throw this.error('<datamodel> contains only <data>', d);
            const spec = this.buildData(d);
            state.data.push(spec);
            this.allData.push(spec);
          }
          break;
        case 'invoke':
          if (kind === 'final' || kind === 'history' || kind === 'scxml') {
            throw this.error(`<invoke> is not allowed in <${kind}>`, child);
          }
          state.invokes.push(this.buildInvoke(child));
          break;
        case 'donedata':
          if (kind !== 'final') throw this.error('<donedata> is only allowed in <final>', child);
          state.donedata = this.buildDonedata(child);
          break;
        case 'script':
          if (kind !== 'scxml') throw this.error('<script> is only allowed in <scxml> or executable content', child);
          break; // handled by compile()
        default:
          throw this.error(`<${name}> is not allowed in <${kind}>`, child);
      }
    }
    state.lastDescendant = this.states.length - 1;

    const hasChildStates = state.properChildren.length > 0;
    state.atomic = kind === 'final' || ((kind === 'state' || kind === 'scxml') && !hasChildStates);
    state.compound = (kind === 'state' || kind === 'scxml') && hasChildStates;
    if (kind === 'history') {
      if (!state.initial && this.options.requireHistoryDefault) {
        throw this.error('<history> needs a default <transition>', el);
      }
    }
    if (kind === 'scxml' || kind === 'state') {
      const initialAttr = el.attributes.initial;
      if (initialElement && initialAttr !== undefined) {
        throw this.error('a state cannot have both an initial attribute and an <initial> child', el);
      }
      if (initialElement) {
        const ts = this.elements(initialElement).filter((c) => this.isScxml(c) && c.localName === 'transition');
        if (ts.length !== 1) throw this.error('<initial> takes exactly one <transition>', initialElement);
        state.initial = this.buildTransition(ts[0]!, state, true);
      } else if (initialAttr !== undefined) {
        const t = this.makeTransition(state, [], undefined, false, []);
        this.pendingTargets.push({ transition: t, ids: initialAttr.trim().split(/\s+/), at: el });
        this.pendingInitials.push({ state, ids: initialAttr.trim().split(/\s+/), at: el });
        state.initial = t;
      } else if (hasChildStates) {
        state.initial = this.makeTransition(state, [], undefined, false, [state.properChildren[0]!]);
      }
    }
    return state;
  }

  private makeTransition(
    source: StateModel,
    events: string[],
    cond: Snippet | undefined,
    internal: boolean,
    targets: StateModel[] | undefined,
    actions: Action[] = [],
  ): TransitionModel {
    const t: TransitionModel = {
      index: -1,
      source,
      events,
      cond,
      targets,
      internal,
      actions,
      staticDomain: undefined,
      hasHistoryTarget: false,
    };
    return t;
  }

  private buildTransition(el: XmlElement, source: StateModel, isDefault: boolean): TransitionModel {
    this.checkAttributes(el, ['event', 'cond', 'target', 'type']);
    const type = el.attributes.type;
    if (type !== undefined && type !== 'internal' && type !== 'external') {
      throw this.error('transition type must be "internal" or "external"', el);
    }
    const events = (el.attributes.event ?? '')
      .trim()
      .split(/\s+/)
      .filter((e) => e !== '')
      .map((e) => (e === '*' ? '*' : e.replace(/\.\*$/, '').replace(/\.$/, '')));
    if (isDefault && (events.length > 0 || el.attributes.cond !== undefined)) {
      throw this.error('an initial or history default transition takes no event or cond', el);
    }
    const actions = this.block(el.children, el);
    const t = this.makeTransition(source, events, this.expr(el.attributes.cond, el), type === 'internal', undefined, actions);
    const target = el.attributes.target;
    if (target !== undefined) this.pendingTargets.push({ transition: t, ids: target.trim().split(/\s+/), at: el });
    else if (isDefault) throw this.error('a default transition needs a target', el);
    if (!isDefault) {
      t.index = this.transitions.length;
      this.transitions.push(t);
    }
    return t;
  }

  resolveTargets(): void {
    for (const { transition, ids, at } of this.pendingTargets) {
      transition.targets = ids.map((id) => {
        const s = this.stateById.get(id);
        if (!s) throw this.error(`unknown target state "${id}"`, at);
        return s;
      });
    }
    for (const { state, ids, at } of this.pendingInitials) {
      for (const id of ids) {
        const s = this.stateById.get(id)!;
        if (!(s.index > state.index && s.index <= state.lastDescendant)) {
          throw this.error(`initial state "${id}" is not a descendant of "${state.id}"`, at);
        }
      }
    }
  }

  // ---- data, invoke, donedata -----------------------------------------------------

  private buildData(el: XmlElement): DataSpec {
    this.checkAttributes(el, ['id', 'src', 'expr']);
    const id = el.attributes.id;
    if (!id) throw this.error('<data> needs an id', el);
    this.exclusive(el, 'src', 'expr');
    const hasContent = el.children.some((c) => typeof c !== 'string' || c.trim() !== '');
    if (hasContent && (el.attributes.src !== undefined || el.attributes.expr !== undefined)) {
      throw this.error('<data> takes either src, expr or content', el);
    }
    const spec: DataSpec = { id, expr: undefined, content: undefined, text: undefined, xml: undefined, attributes: { ...el.attributes } };
    if (el.attributes.expr !== undefined) spec.expr = this.expr(el.attributes.expr, el);
    else if (el.attributes.src !== undefined) {
      const text = this.load(el.attributes.src, el);
      if (text !== undefined) {
        spec.xml = xmlFromText(text);
        if (!spec.xml) Object.assign(spec, this.contentValue(text, el));
      }
      else spec.content = this.snippet(compileExpression(''), el); // evaluating it fails -> error.execution
    } else if (hasContent) {
      const elements = this.elements(el);
      if (elements.length > 0) {
        spec.xml = xmlContent(el.children);
        if (!spec.xml) spec.text = el.children.map(serializeXml).join('').trim();
      }
      else Object.assign(spec, this.contentValue(textOf(el), el));
    }
    return spec;
  }

  /** Content that is JSON becomes that value (SCXML B.2.2); any other text is a space-normalised string. */
  private contentValue(text: string, at: XmlElement): { content: Snippet | undefined; text: string | undefined } {
    const isJson = isJsonText(text);
    const candidate = compileExpression(text.trim());
    if (isJson && candidate.error === undefined) {
      candidate.site = siteOf(at);
      this.snippets.push(candidate);
      return { content: candidate, text: undefined };
    }
    return { content: undefined, text: text.trim().replace(/\s+/g, ' ') };
  }

  private load(src: string, at: XmlElement): string | undefined {
    if (!this.options.loadSource) throw this.error(`cannot load "${src}": no loadSource option given`, at);
    try {
      return this.options.loadSource(src);
    } catch (e) {
      this.warnings.push({ message: `cannot load "${src}": ${String(e)}`, line: at.line, column: at.column, element: at.localName });
      return undefined;
    }
  }

  private params(el: XmlElement): ParamSpec[] {
    return this.elements(el)
      .filter((c) => this.isScxml(c) && c.localName === 'param')
      .map((p) => {
        this.checkAttributes(p, ['name', 'expr', 'location']);
        this.exclusive(p, 'expr', 'location');
        if (!p.attributes.name) throw this.error('<param> needs a name', p);
        return { name: p.attributes.name, expr: this.expr(p.attributes.expr, p), location: this.expr(p.attributes.location, p) };
      });
  }

  private content(el: XmlElement, forInvoke: boolean): ContentSpec | undefined {
    const contents = this.elements(el).filter((c) => this.isScxml(c) && c.localName === 'content');
    if (contents.length === 0) return undefined;
    if (contents.length > 1) throw this.error('only one <content> is allowed', contents[1]!);
    const c = contents[0]!;
    this.checkAttributes(c, ['expr']);
    const elements = this.elements(c);
    if (c.attributes.expr !== undefined && c.children.some((x) => typeof x !== 'string' || x.trim() !== '')) {
      throw this.error('<content> takes either expr or children', c);
    }
    const spec: ContentSpec = { expr: this.expr(c.attributes.expr, c), xml: undefined, text: undefined, document: undefined };
    if (elements.length === 1 && forInvoke && this.isScxml(elements[0]!) && elements[0]!.localName === 'scxml') {
      spec.document = compileModel(elements[0]!, this.options, this.warnings);
    } else if (elements.length > 0) {
      spec.text = c.children.map(serializeXml).join('').trim();
      if (!forInvoke) spec.xml = xmlContent(c.children);
    } else if (c.attributes.expr === undefined) {
      // Text that parses as an expression (JSON, numbers) becomes that value; other text stays a string.
      const value = this.contentValue(textOf(c), c);
      spec.expr = value.content;
      spec.text = value.text;
    }
    return spec;
  }

  private namelist(el: XmlElement): { names: string[]; snippets: Snippet[] } {
    const names = (el.attributes.namelist ?? '').trim().split(/\s+/).filter((n) => n !== '');
    return { names, snippets: names.map((n) => this.expr(n, el)!) };
  }

  private buildInvoke(el: XmlElement): InvokeSpec {
    this.checkAttributes(el, ['type', 'typeexpr', 'src', 'srcexpr', 'id', 'idlocation', 'namelist', 'autoforward']);
    this.exclusive(el, 'type', 'typeexpr');
    this.exclusive(el, 'src', 'srcexpr');
    this.exclusive(el, 'id', 'idlocation');
    const content = this.content(el, true);
    if (content && (el.attributes.src !== undefined || el.attributes.srcexpr !== undefined)) {
      throw this.error('<invoke> takes either src/srcexpr or <content>', el);
    }
    const params = this.params(el);
    const nl = this.namelist(el);
    if (params.length > 0 && nl.names.length > 0) throw this.error('<invoke> takes either namelist or <param>', el);
    const finalizeEl = this.elements(el).find((c) => this.isScxml(c) && c.localName === 'finalize');
    const auto = el.attributes.autoforward;
    if (auto !== undefined && auto !== 'true' && auto !== 'false') throw this.error('autoforward must be true or false', el);
    return {
      site: siteOf(el),
      type: el.attributes.type,
      typeexpr: this.expr(el.attributes.typeexpr, el),
      src: el.attributes.src,
      srcexpr: this.expr(el.attributes.srcexpr, el),
      id: el.attributes.id,
      idlocation: this.location(el.attributes.idlocation, el),
      namelist: nl.snippets,
      namelistNames: nl.names,
      params,
      content,
      autoforward: auto === 'true',
      finalize: finalizeEl ? this.block(finalizeEl.children, finalizeEl) : [],
      index: this.invokeCounter++,
    };
  }

  private buildDonedata(el: XmlElement): { params: ParamSpec[]; content: ContentSpec | undefined } {
    const content = this.content(el, false);
    const params = this.params(el);
    if (content && params.length > 0) throw this.error('<donedata> takes either <content> or <param>', el);
    return { params, content };
  }

  // ---- executable content ---------------------------------------------------------

  block(children: XmlNode[], parent: XmlElement): Action[] {
    const actions: Action[] = [];
    for (const child of children) {
      if (typeof child === 'string') continue;
      const action = this.action(child, parent);
      if (action) actions.push(action);
    }
    return actions;
  }

  private action(el: XmlElement, parent: XmlElement): Action | undefined {
    const action = this.buildAction(el, parent);
    if (action) action.site = siteOf(el);
    return action;
  }

  private buildAction(el: XmlElement, parent: XmlElement): Action | undefined {
    if (!this.isScxml(el)) {
      const handler = this.options.extensions?.[el.namespace]?.[el.localName];
      if (!handler) throw this.error(`unknown element {${el.namespace}}${el.localName}`, el);
      const run = handler.compile(el, this.tools());
      return (r) => r.runExtension(run);
    }
    switch (el.localName) {
      case 'raise': {
        this.checkAttributes(el, ['event']);
        const event = el.attributes.event;
        if (!event) throw this.error('<raise> needs an event', el);
        return (r) => r.raiseInternal(event, undefined);
      }
      case 'log': {
        this.checkAttributes(el, ['label', 'expr']);
        const label = el.attributes.label;
        const expr = this.expr(el.attributes.expr, el);
        return (r) => r.log(label, expr ? r.evaluate(expr) : undefined);
      }
      case 'assign': {
        this.checkAttributes(el, ['location', 'expr']);
        const location = this.location(el.attributes.location, el);
        if (!location) throw this.error('<assign> needs a location', el);
        const expr = this.expr(el.attributes.expr, el);
        const hasChildren = el.children.some((c) => typeof c !== 'string' || c.trim() !== '');
        if (expr && hasChildren) throw this.error('<assign> takes either expr or content', el);
        if (expr) return (r) => r.assignLocation(location, r.evaluate(expr));
        const holder: { content: Snippet | undefined; text: string | undefined; xml?: XmlTree } = { content: undefined, text: undefined };
        if (this.elements(el).length > 0) {
          holder.xml = xmlContent(el.children);
          holder.text = el.children.map(serializeXml).join('').trim();
        }
        else if (hasChildren) Object.assign(holder, this.contentValue(textOf(el), el));
        return (r) =>
          r.assignLocation(location, holder.content ? r.evaluate(holder.content) : holder.xml ? r.xmlValue(holder.xml) : holder.text);
      }
      case 'script': {
        this.checkAttributes(el, ['src']);
        let source = textOf(el);
        if (el.attributes.src !== undefined) {
          if (source.trim() !== '') throw this.error('<script> takes either src or content', el);
          const loaded = this.load(el.attributes.src, el);
          if (loaded === undefined) throw this.error(`cannot load script "${el.attributes.src}"`, el);
          source = loaded;
        }
        const script = this.snippet(compileScript(source), el);
        return (r) => r.runScript(script);
      }
      case 'if': {
        this.checkAttributes(el, ['cond']);
        const branches: Array<{ cond: Snippet | undefined; actions: Action[] }> = [];
        let current: { cond: Snippet | undefined; actions: Action[] } = { cond: this.expr(el.attributes.cond ?? 'false', el), actions: [] };
        branches.push(current);
        let sawElse = false;
        for (const child of el.children) {
          if (typeof child === 'string') continue;
          if (this.isScxml(child) && child.localName === 'elseif') {
            if (sawElse) throw this.error('<elseif> after <else>', child);
            current = { cond: this.expr(child.attributes.cond ?? 'false', child), actions: [] };
            branches.push(current);
          } else if (this.isScxml(child) && child.localName === 'else') {
            if (sawElse) throw this.error('more than one <else>', child);
            sawElse = true;
            current = { cond: undefined, actions: [] };
            branches.push(current);
          } else {
            const a = this.action(child, el);
            if (a) current.actions.push(a);
          }
        }
        return (r) => {
          for (const b of branches) {
            if (b.cond === undefined || r.condition(b.cond)) {
              r.executeBlock(b.actions);
              return;
            }
          }
        };
      }
      case 'foreach': {
        this.checkAttributes(el, ['array', 'item', 'index']);
        if (!el.attributes.array || !el.attributes.item) throw this.error('<foreach> needs array and item', el);
        const spec: ForeachSpec = {
          array: this.expr(el.attributes.array, el)!,
          item: this.location(el.attributes.item, el)!,
          index: this.location(el.attributes.index, el),
          body: this.block(el.children, el),
        };
        return (r) => r.foreach(spec);
      }
      case 'send':
        return this.buildSend(el);
      case 'cancel': {
        this.checkAttributes(el, ['sendid', 'sendidexpr']);
        this.exclusive(el, 'sendid', 'sendidexpr');
        const sendid = el.attributes.sendid;
        const sendidexpr = this.expr(el.attributes.sendidexpr, el);
        if (sendid === undefined && !sendidexpr) throw this.error('<cancel> needs sendid or sendidexpr', el);
        return (r) => r.cancel(sendid ?? String(r.evaluate(sendidexpr!)));
      }
      case 'elseif':
      case 'else':
        throw this.error(`<${el.localName}> outside <if>`, el);
      default:
        throw this.error(`<${el.localName}> is not executable content (in <${parent.localName}>)`, el);
    }
  }

  private buildSend(el: XmlElement): Action {
    this.checkAttributes(el, [
      'event', 'eventexpr', 'target', 'targetexpr', 'type', 'typeexpr', 'id', 'idlocation', 'delay', 'delayexpr', 'namelist',
    ]);
    this.exclusive(el, 'event', 'eventexpr');
    this.exclusive(el, 'target', 'targetexpr');
    this.exclusive(el, 'type', 'typeexpr');
    this.exclusive(el, 'id', 'idlocation');
    this.exclusive(el, 'delay', 'delayexpr');
    const content = this.content(el, false);
    const params = this.params(el);
    const nl = this.namelist(el);
    if (content && (params.length > 0 || nl.names.length > 0)) throw this.error('<send> takes <content> or namelist/<param>', el);
    let delay: number | undefined;
    if (el.attributes.delay !== undefined) {
      delay = parseDelay(el.attributes.delay);
      if (Number.isNaN(delay)) throw this.error(`invalid delay "${el.attributes.delay}"`, el);
    }
    if ((delay !== undefined || el.attributes.delayexpr !== undefined) && el.attributes.target === '#_internal') {
      throw this.error('a delayed <send> cannot target #_internal', el);
    }
    const spec: SendSpec = {
      site: siteOf(el),
      event: el.attributes.event,
      eventexpr: this.expr(el.attributes.eventexpr, el),
      target: el.attributes.target,
      targetexpr: this.expr(el.attributes.targetexpr, el),
      type: el.attributes.type,
      typeexpr: this.expr(el.attributes.typeexpr, el),
      id: el.attributes.id,
      idlocation: this.location(el.attributes.idlocation, el),
      delay,
      delayexpr: this.expr(el.attributes.delayexpr, el),
      namelist: nl.snippets,
      namelistNames: nl.names,
      params,
      content,
    };
    return (r) => r.sendAction(spec);
  }

  private tools(): CompileTools {
    return {
      expression: (source: string, at: XmlElement): CompiledExpression => {
        const s = compileExpression(source);
        if (s.error !== undefined) throw this.error(`invalid expression "${source}": ${s.error}`, at);
        s.site = siteOf(at);
        this.snippets.push(s);
        return s;
      },
      executable: (children: XmlNode[], parent: XmlElement): CompiledBlock => this.block(children, parent),
      error: (message: string, at: XmlElement) => this.error(message, at),
    };
  }
}

/** Static part of getTransitionDomain (Appendix D), when no target is a history state. */
function computeStaticDomains(model: { transitions: TransitionModel[]; states: StateModel[] }): void {
  const all = [...model.transitions];
  for (const s of model.states) if (s.initial) all.push(s.initial);
  for (const t of all) {
    if (!t.targets || t.targets.length === 0) {
      t.staticDomain = undefined;
      continue;
    }
    t.hasHistoryTarget = t.targets.some((s) => s.kind === 'history');
    if (t.hasHistoryTarget) continue;
    const source = t.source;
    if (
      t.internal &&
      source.compound &&
      t.targets.every((s) => s.index > source.index && s.index <= source.lastDescendant)
    ) {
      t.staticDomain = source;
    } else {
      t.staticDomain = findLCCA([source, ...t.targets]) ?? null;
    }
  }
}

/** Appendix D findLCCA: the nearest compound (or root) proper ancestor of the first state containing all others. */
export function findLCCA(stateList: StateModel[]): StateModel | undefined {
  const [head, ...tail] = stateList;
  for (const anc of head!.ancestors) {
    if (anc.kind !== 'scxml' && !anc.compound) continue;
    if (tail.every((s) => s.index > anc.index && s.index <= anc.lastDescendant)) return anc;
  }
  return undefined;
}

export function compileModel(root: XmlElement, options: CompileOptions, warnings: CompileWarning[]): DocumentModel {
  const c = new Compiler(options, warnings);
  const rootState = c.buildRoot(root);
  c.resolveTargets();
  // Top-level <script> runs once, after the datamodel is initialised.
  const script: Action[] = [];
  for (const child of root.children) {
    if (typeof child === 'string' || child.localName !== 'script' || (child.namespace !== SCXML_NS && child.namespace !== '')) continue;
    script.push(...c.block([child], root));
  }
  computeStaticDomains(c);
  const attributes = { ...root.attributes };
  return {
    name: root.attributes.name,
    attributes,
    binding: root.attributes.binding === 'late' ? 'late' : 'early',
    root: rootState,
    states: c.states,
    stateById: c.stateById,
    transitions: c.transitions,
    allData: c.allData,
    script,
    snippets: c.snippets,
  };
}

export function compileDocumentModel(
  xml: string,
  options: CompileOptions,
): { model: DocumentModel; warnings: CompileWarning[] } {
  const root = parseXml(xml, options.sourceName);
  const warnings: CompileWarning[] = [];
  const model = compileModel(root, options, warnings);
  linkAll(model);
  return { model, warnings };
}

function linkAll(model: DocumentModel): void {
  linkSnippets(model.snippets, model.allData.map((d) => d.id));
  for (const s of model.states) {
    for (const inv of s.invokes) if (inv.content?.document) linkAll(inv.content.document);
  }
}
