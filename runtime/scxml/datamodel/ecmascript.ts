// Compiles the ECMAScript of a document (expressions, locations, scripts) once into
// functions of the shared realm (see realm.ts). acorn parses each piece (modern syntax,
// positions for errors); magic-string inserts `__scxml_rt.tick()` at every loop body and
// function entry, which is what bounds evaluation time without a watchdog.
//
// Each compiled function has the shape
//   (function (__scxml_scope, __scxml_data, __scxml_rt[, __scxml_value]) {
//      with (__scxml_scope) { ... } })
// where __scxml_scope is the session's Proxy: identifiers resolve to datamodel variables
// first, to the realm's frozen globals next, and unknown names read as ReferenceError and
// write as new datamodel variables (so `var x` / `x = 1` in a <script> create variables,
// as in a browser's global scope).
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import MagicString from 'magic-string';
import { rejectDynamicImport } from './dynamic-import.ts';
import { rejectInstrumentationTampering } from './instrumentation-guard.ts';
import { getRealm } from './realm.ts';

export type CompiledFunction = (scope: object, data: object, rt: object, value?: unknown) => unknown;

export type SnippetKind = 'expression' | 'script' | 'location';

/** One piece of ECMAScript of a document; `fn` is filled when the document is linked. */
export interface Snippet {
  readonly source: string;
  readonly kind: SnippetKind;
  fn: CompiledFunction | undefined;
  /** The element whose attribute or text this is (set by the compiler), for error events. */
  site: { tagname: string; line: number; column: number } | undefined;
  /** Syntax error message, when the snippet is invalid (evaluating it raises error.execution). */
  error: string | undefined;
  /** For locations: the root variable name, which must exist before assignment. */
  root: string | undefined;
  /** Realm source of the function, until linked. */
  wrapped: string | undefined;
  /**
   * A faster form without `with`, for expressions whose identifiers can be resolved
   * statically (no functions, classes or patterns inside): datamodel variables become
   * `__scxml_data.x`. `globalRefs` are the names it leaves to the realm's globals; it is
   * used only if no datamodel variable of the document shadows one of them.
   */
  fast: { wrapped: string; globalRefs: string[] } | undefined;
}

const SYSTEM_NAMES = new Set(['_event', '_sessionid', '_name', '_ioprocessors', 'In']);
const PARSE_OPTIONS: acorn.Options = { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: false };
const TICK = '__scxml_rt.tick();';

type AnyNode = acorn.Node & Record<string, unknown>;

function instrument(ms: MagicString, ast: acorn.Node): void {
  const addToBlockOrWrap = (body: AnyNode) => {
    if (body.type === 'BlockStatement') ms.appendLeft(body.start + 1, TICK);
    else {
      ms.prependLeft(body.start, '{' + TICK);
      ms.appendRight(body.end, '}');
    }
  };
  walk.full(ast, (n) => {
    const node = n as AnyNode;
    switch (node.type) {
      case 'WhileStatement':
      case 'DoWhileStatement':
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
        addToBlockOrWrap(node.body as AnyNode);
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression': {
        const body = node.body as AnyNode;
        if (body.type === 'BlockStatement') ms.appendLeft(body.start + 1, TICK);
        else {
          ms.prependLeft(body.start, '(__scxml_rt.tick(), ');
          ms.appendRight(body.end, ')');
        }
        break;
      }
    }
  });
}

function syntaxMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const HEAD = '(function (__scxml_scope, __scxml_data, __scxml_rt, __scxml_value) { with (__scxml_scope) {';

function makeSnippet(source: string, kind: SnippetKind): Snippet {
  return { source, kind, fn: undefined, site: undefined, error: undefined, root: undefined, wrapped: undefined, fast: undefined };
}

const FAST_HEAD = '(function (__scxml_scope, __scxml_data, __scxml_rt, __scxml_value) { ';
const UNSUPPORTED_IN_FAST_PATH = new Set([
  'FunctionExpression', 'ArrowFunctionExpression', 'ClassExpression', 'ObjectPattern', 'ArrayPattern',
  'AssignmentPattern', 'RestElement', 'MetaProperty', 'Super', 'AwaitExpression', 'YieldExpression', 'ImportExpression',
]);
let realmGlobalNames: Set<string> | undefined;

/**
 * Rewrites the free identifiers of a function-free expression: reads become
 * `("x" in __scxml_data ? __scxml_data.x : __scxml_rt.missing("x"))` (a ReferenceError
 * like JavaScript's), writes become `__scxml_data.x`, realm globals stay as they are.
 * Returns undefined when the expression needs real scoping (the `with` form is used).
 */
function fastForm(text: string, ast: acorn.Node, wrap: (body: string) => string): Snippet['fast'] {
  let unsupported = false;
  walk.full(ast, (n) => {
    if (UNSUPPORTED_IN_FAST_PATH.has(n.type)) unsupported = true;
  });
  if (unsupported) return undefined;
  realmGlobalNames ??= new Set(getRealm().globalNames());
  const ms = new MagicString(text);
  const globalRefs = new Set<string>();
  let bad = false;
  walk.ancestor(ast, {
    Identifier(n, _state, ancestors) {
      const node = n as unknown as AnyNode;
      const name = node.name as string;
      const parent = ancestors[ancestors.length - 2] as AnyNode | undefined;
      if (parent?.type === 'MemberExpression' && parent.property === node && !parent.computed) return;
      if (parent?.type === 'Property' && parent.key === node && !parent.computed && !parent.shorthand) return;
      if (parent?.type === 'PropertyDefinition' || parent?.type === 'MethodDefinition' || parent?.type === 'LabeledStatement') {
        bad = true;
        return;
      }
      if (name === 'eval' || name === 'arguments') {
        bad = true;
        return;
      }
      const isWrite =
        (parent?.type === 'AssignmentExpression' && parent.left === node) ||
        (parent?.type === 'UpdateExpression' && parent.argument === node) ||
        (parent?.type === 'UnaryExpression' && parent.operator === 'delete');
      let replacement: string;
      if (SYSTEM_NAMES.has(name)) {
        replacement = isWrite ? `__scxml_rt.readonly(${JSON.stringify(name)}).x` : `__scxml_data.${name}`;
      } else if (!isWrite && realmGlobalNames!.has(name)) {
        globalRefs.add(name);
        return;
      } else if (isWrite || (parent?.type === 'UnaryExpression' && parent.operator === 'typeof')) {
        replacement = `__scxml_data.${name}`;
      } else {
        const key = JSON.stringify(name);
        replacement = `(${key} in __scxml_data ? __scxml_data.${name} : __scxml_rt.missing(${key}))`;
      }
      if (parent?.type === 'Property' && parent.shorthand) replacement = `${name}: ${replacement}`;
      ms.overwrite(node.start, node.end, replacement);
    },
  });
  if (bad) return undefined;
  return { wrapped: wrap(ms.toString()), globalRefs: [...globalRefs] };
}

export function compileExpression(source: string): Snippet {
  const snippet = makeSnippet(source, 'expression');
  // Authors often end an expression with ';' (e.g. expr="new Foo();"): tolerate it.
  const text = '(' + source.replace(/;\s*$/, '') + '\n)';
  try {
    const ast = acorn.parse(text, PARSE_OPTIONS) as unknown as AnyNode;
    rejectDynamicImport(ast);
    rejectInstrumentationTampering(ast);
    const body = ast.body as AnyNode[];
    if (body.length !== 1 || body[0]!.type !== 'ExpressionStatement' || source.trim() === '') {
      throw new SyntaxError('not a single expression');
    }
    const ms = new MagicString(text);
    instrument(ms, ast);
    snippet.wrapped = HEAD + ' return ' + ms.toString() + '; } })';
    snippet.fast = fastForm(text, ast, (body) => FAST_HEAD + 'return ' + body + '; })');
  } catch (e) {
    snippet.error = syntaxMessage(e);
  }
  return snippet;
}

export function compileLocation(source: string): Snippet {
  const snippet = makeSnippet(source, 'location');
  const text = '(' + source + '\n)';
  try {
    const ast = acorn.parse(text, PARSE_OPTIONS) as unknown as AnyNode;
    rejectDynamicImport(ast);
    rejectInstrumentationTampering(ast);
    const body = ast.body as AnyNode[];
    if (body.length !== 1 || body[0]!.type !== 'ExpressionStatement') throw new SyntaxError('not a location');
    let target = (body[0] as AnyNode).expression as AnyNode;
    if (target.type !== 'Identifier' && target.type !== 'MemberExpression') {
      throw new SyntaxError('not a location: ' + source);
    }
    while (target.type === 'MemberExpression') target = target.object as AnyNode;
    if (target.type !== 'Identifier') throw new SyntaxError('not a location: ' + source);
    snippet.root = target.name as string;
    const ms = new MagicString(text);
    instrument(ms, ast);
    snippet.wrapped = HEAD + ms.toString() + ' = __scxml_value; } })';
    // A location's root is checked before assignment, so it can be written directly.
    const expr = (body[0] as AnyNode).expression as AnyNode;
    if (expr.type === 'Identifier' && !SYSTEM_NAMES.has(snippet.root)) {
      snippet.fast = { wrapped: `${FAST_HEAD}__scxml_data.${snippet.root} = __scxml_value; })`, globalRefs: [] };
    } else if (expr.type === 'MemberExpression') {
      const member = fastForm(text, ast, (b) => b);
      if (member) snippet.fast = { wrapped: `${FAST_HEAD}${member.wrapped} = __scxml_value; })`, globalRefs: member.globalRefs };
    }
  } catch (e) {
    snippet.error = syntaxMessage(e);
  }
  return snippet;
}

export function compileScript(source: string): Snippet {
  const snippet = makeSnippet(source, 'script');
  try {
    const ast = acorn.parse(source, PARSE_OPTIONS) as unknown as AnyNode;
    rejectDynamicImport(ast);
    rejectInstrumentationTampering(ast);
    const ms = new MagicString(source);
    instrument(ms, ast);
    let prologue = '';
    const declareVar = (name: string) => {
      if (SYSTEM_NAMES.has(name)) return;
      const key = JSON.stringify(name);
      prologue += `if (!(${key} in __scxml_data)) __scxml_data[${key}] = undefined;`;
    };
    const declarePattern = (pattern: AnyNode) => {
      collectPatternNames(pattern).forEach(declareVar);
    };
    for (const statement of ast.body as AnyNode[]) {
      if (statement.type === 'FunctionDeclaration') {
        const name = (statement.id as AnyNode).name as string;
        prologue += `__scxml_scope[${JSON.stringify(name)}] = ${name};`;
      } else if (statement.type === 'ClassDeclaration') {
        const name = (statement.id as AnyNode).name as string;
        ms.appendRight(statement.end, `;__scxml_scope[${JSON.stringify(name)}] = ${name};`);
      } else if (statement.type === 'VariableDeclaration') {
        if (statement.kind !== 'var') ms.overwrite(statement.start, statement.start + (statement.kind as string).length, 'var');
        for (const d of statement.declarations as AnyNode[]) declarePattern(d.id as AnyNode);
      } else if (
        (statement.type === 'ForStatement' || statement.type === 'ForInStatement' || statement.type === 'ForOfStatement') &&
        (statement.init ?? statement.left) &&
        ((statement.init ?? statement.left) as AnyNode).type === 'VariableDeclaration' &&
        ((statement.init ?? statement.left) as AnyNode).kind === 'var'
      ) {
        for (const d of ((statement.init ?? statement.left) as AnyNode).declarations as AnyNode[]) {
          declarePattern(d.id as AnyNode);
        }
      }
    }
    snippet.wrapped = HEAD + prologue + '\n' + ms.toString() + '\n} })';
  } catch (e) {
    snippet.error = syntaxMessage(e);
  }
  return snippet;
}

function collectPatternNames(pattern: AnyNode): string[] {
  switch (pattern.type) {
    case 'Identifier':
      return [pattern.name as string];
    case 'ObjectPattern':
      return (pattern.properties as AnyNode[]).flatMap((p) =>
        collectPatternNames((p.type === 'RestElement' ? p.argument : p.value) as AnyNode),
      );
    case 'ArrayPattern':
      return (pattern.elements as Array<AnyNode | null>).flatMap((e) => (e ? collectPatternNames(e) : []));
    case 'AssignmentPattern':
      return collectPatternNames(pattern.left as AnyNode);
    case 'RestElement':
      return collectPatternNames(pattern.argument as AnyNode);
    default:
      return [];
  }
}

/** Compiles all pending snippets of a document in one realm evaluation. */
export function linkSnippets(snippets: Snippet[], dataIds: Iterable<string>): void {
  const pending = snippets.filter((s) => s.wrapped !== undefined && s.fn === undefined && s.error === undefined);
  if (pending.length === 0) return;
  const shadowing = new Set(dataIds);
  for (const s of pending) {
    if (s.fast && !s.fast.globalRefs.some((g) => shadowing.has(g))) s.wrapped = s.fast.wrapped;
    s.fast = undefined;
  }
  const compiled = getRealm().compileAll(pending.map((s) => s.wrapped!));
  pending.forEach((s, i) => {
    const fn = compiled[i];
    if (typeof fn === 'function') s.fn = fn as CompiledFunction;
    else s.error = fn ?? 'compilation failed';
    s.wrapped = undefined;
  });
}
