// The `src` attributes of a document's <script> and <data> elements, so a host whose
// loading is asynchronous (files, HTTP) can fetch them before compiling and hand them to
// `compile` through its synchronous `loadSource` option. `<invoke src>` is not listed:
// child documents are loaded when invoked (`loadDocument`).
import type { XmlElement } from './types.ts';
import { parseXml, SCXML_NS } from './xml.ts';

/** Distinct srcs in document order; throws ScxmlCompileError for XML that does not parse. */
export function externalSources(xml: string, sourceName?: string): string[] {
  const out = new Set<string>();
  const visit = (el: XmlElement) => {
    const scxml = el.namespace === SCXML_NS || el.namespace === '';
    if (scxml && (el.localName === 'script' || el.localName === 'data') && el.attributes.src !== undefined) out.add(el.attributes.src);
    for (const c of el.children) if (typeof c !== 'string') visit(c);
  };
  visit(parseXml(xml, sourceName));
  return [...out];
}
