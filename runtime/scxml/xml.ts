// XML text -> element tree with positions.
//
// Parser choice: saxes. It is maintained (used by jsdom), strictly conformant
// (well-formedness errors are errors, not guesses), resolves namespaces (we need them to
// route foreign elements such as ORS's <session:start> to extension handlers) and tracks
// line and column, which every compile error must carry. It has no dependencies and is
// fast enough that compiling a strategy is dominated by our own work.
import { SaxesParser } from 'saxes';
import type { XmlElement, XmlNode } from './types.ts';

export const SCXML_NS = 'http://www.w3.org/2005/07/scxml';

export class ScxmlCompileError extends Error {
  readonly line: number;
  readonly column: number;
  /** The element the error is about (local name), if any. */
  readonly element: string | undefined;
  constructor(message: string, line: number, column: number, element?: string, sourceName?: string) {
    super(`${sourceName ? sourceName + ':' : ''}${line}:${column}: ${element ? `<${element}>: ` : ''}${message}`);
    this.name = 'ScxmlCompileError';
    this.line = line;
    this.column = column;
    this.element = element;
  }
}

export function parseXml(text: string, sourceName?: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let startLine = 1;
  let startColumn = 1;
  let failure: ScxmlCompileError | undefined;
  parser.on('opentagstart', () => {
    startLine = parser.line;
    startColumn = parser.column;
  });
  parser.on('opentag', (tag) => {
    const attributes: Record<string, string> = {};
    for (const attr of Object.values(tag.attributes)) {
      if (attr.prefix === 'xmlns' || attr.name === 'xmlns') continue;
      attributes[attr.uri ? `${attr.prefix}:${attr.local}` : attr.local] = attr.value;
    }
    const element: XmlElement = {
      namespace: tag.uri ?? '',
      localName: tag.local ?? tag.name,
      attributes,
      children: [],
      line: startLine,
      // saxes reports the (0-based) column after `<name` and one more character; point at the `<` (1-based).
      column: Math.max(1, startColumn - tag.name.length - 1),
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const addText = (text: string) => {
    const parent = stack[stack.length - 1];
    if (!parent) return;
    const last = parent.children[parent.children.length - 1];
    if (typeof last === 'string') parent.children[parent.children.length - 1] = last + text;
    else parent.children.push(text);
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('error', (e) => {
    if (!failure) {
      const message = e.message.replace(/^.*?\d+:\d+: /, '');
      failure = new ScxmlCompileError(message, parser.line, parser.column + 1, undefined, sourceName);
    }
  });
  try {
    parser.write(text).close();
  } catch (e) {
    if (!failure) throw e;
  }
  if (failure) throw failure;
  if (!root) throw new ScxmlCompileError('no root element', 1, 1, undefined, sourceName);
  return root;
}

/** Serialises an element back to XML (for inline <content> handed on as markup). */
export function serializeXml(node: XmlNode): string {
  if (typeof node === 'string') return node.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const attrs = Object.entries(node.attributes)
    .map(([k, v]) => ` ${k}="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`)
    .join('');
  const ns = node.namespace ? ` xmlns="${node.namespace}"` : '';
  if (node.children.length === 0) return `<${node.localName}${ns}${attrs}/>`;
  return `<${node.localName}${ns}${attrs}>${node.children.map(serializeXml).join('')}</${node.localName}>`;
}

export function textOf(element: XmlElement): string {
  return element.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

/** Serialises a content tree (model XmlTree) back to XML text. */
export function serializeTree(tree: { n: string; a: Record<string, string>; c: unknown[] }): string {
  const escape = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const attrs = Object.entries(tree.a)
    .map(([k, v]) => ` ${k}="${escape(v)}"`)
    .join('');
  const body = tree.c
    .map((c) => (typeof c === 'string' ? escape(c) : serializeTree(c as { n: string; a: Record<string, string>; c: unknown[] })))
    .join('');
  return `<${tree.n}${attrs}>${body}</${tree.n}>`;
}
