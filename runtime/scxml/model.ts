// The compiled form of a document: states in document order with everything the
// Appendix D algorithm asks about precomputed (ancestors, depth, descendant ranges,
// static transition domains), and executable content as closures.
import type { Snippet } from './datamodel/ecmascript.ts';
import type { ExtensionAction } from './types.ts';

export type StateKind = 'scxml' | 'state' | 'parallel' | 'final' | 'history';

/** The interpreter as executable content sees it (implemented by Session). */
export interface Runner {
  evaluate(snippet: Snippet): unknown;
  /** Makes the DOM-like datamodel value of XML content. */
  xmlValue(tree: XmlTree): unknown;
  /** A boolean condition: an error is reported as error.execution and counts as false. */
  condition(snippet: Snippet): boolean;
  assignLocation(location: Snippet, value: unknown): void;
  runScript(snippet: Snippet): void;
  raiseInternal(name: string, data: unknown): void;
  sendAction(spec: SendSpec): void;
  cancel(sendid: string): void;
  log(label: string | undefined, value: unknown): void;
  foreach(spec: ForeachSpec): void;
  runExtension(action: ExtensionAction): void;
  executeBlock(block: Action[]): void;
}

/** Where an element is in its document: what error events tell strategy code (`_event.data`). */
export interface ElementSite {
  tagname: string;
  line: number;
  column: number;
}

/** Compiled executable content; `site` is the element it came from. */
export type Action = ((runner: Runner) => void) & { site?: ElementSite };

export interface ParamSpec {
  name: string;
  expr: Snippet | undefined;
  location: Snippet | undefined;
}

/** XML content kept as a tree; the datamodel turns it into a DOM-like object (SCXML B.2.2). */
export interface XmlTree {
  n: string;
  a: Record<string, string>;
  c: Array<XmlTree | string>;
}

export interface ContentSpec {
  expr: Snippet | undefined;
  xml: XmlTree | undefined;
  /** Inline content: text (trimmed as the spec's tests expect) or a nested document's XML. */
  text: string | undefined;
  /** A nested <scxml> inside <content> (for <invoke>). */
  document: DocumentModel | undefined;
}

export interface SendSpec {
  site: ElementSite;
  event: string | undefined;
  eventexpr: Snippet | undefined;
  target: string | undefined;
  targetexpr: Snippet | undefined;
  type: string | undefined;
  typeexpr: Snippet | undefined;
  id: string | undefined;
  idlocation: Snippet | undefined;
  delay: number | undefined;
  delayexpr: Snippet | undefined;
  namelist: Snippet[];
  namelistNames: string[];
  params: ParamSpec[];
  content: ContentSpec | undefined;
}

export interface ForeachSpec {
  array: Snippet;
  item: Snippet;
  index: Snippet | undefined;
  body: Action[];
}

export interface InvokeSpec {
  site: ElementSite;
  type: string | undefined;
  typeexpr: Snippet | undefined;
  src: string | undefined;
  srcexpr: Snippet | undefined;
  id: string | undefined;
  idlocation: Snippet | undefined;
  namelist: Snippet[];
  namelistNames: string[];
  params: ParamSpec[];
  content: ContentSpec | undefined;
  autoforward: boolean;
  finalize: Action[];
  /** Position in the document, to generate `stateid.platformid` ids. */
  index: number;
}

export interface DataSpec {
  id: string;
  expr: Snippet | undefined;
  /** Inline or `src` content, already loaded: evaluated as an expression if it parses, else kept as text. */
  content: Snippet | undefined;
  text: string | undefined;
  xml: XmlTree | undefined;
  attributes: Record<string, string>;
}

export interface TransitionModel {
  /** Document order among all transitions. */
  index: number;
  source: StateModel;
  /** Event descriptors; empty for eventless transitions. `*` matches every event. */
  events: string[];
  cond: Snippet | undefined;
  targets: StateModel[] | undefined;
  internal: boolean;
  actions: Action[];
  /** The transition domain when it does not depend on history (null = the document root). */
  staticDomain: StateModel | null | undefined;
  hasHistoryTarget: boolean;
}

export interface StateModel {
  index: number;
  id: string;
  kind: StateKind;
  parent: StateModel | undefined;
  children: StateModel[];
  /** Proper ancestors, nearest first. */
  ancestors: StateModel[];
  depth: number;
  /** Index of the last descendant (document order): descendants are (index, lastDescendant]. */
  lastDescendant: number;
  atomic: boolean;
  compound: boolean;
  /** For compound states and the root: the default entry. */
  initial: TransitionModel | undefined;
  /** For history states. */
  deep: boolean;
  transitions: TransitionModel[];
  onentry: Action[][];
  onexit: Action[][];
  invokes: InvokeSpec[];
  data: DataSpec[];
  donedata: { params: ParamSpec[]; content: ContentSpec | undefined } | undefined;
  /** Child states that are not history states. */
  properChildren: StateModel[];
  historyChildren: StateModel[];
}

export interface DocumentModel {
  name: string | undefined;
  attributes: Record<string, string>;
  binding: 'early' | 'late';
  root: StateModel;
  /** All states, document order; states[0] is the root. */
  states: StateModel[];
  stateById: Map<string, StateModel>;
  transitions: TransitionModel[];
  /** All data items, document order; the top-level ones are root.data. */
  allData: DataSpec[];
  script: Action[];
  snippets: Snippet[];
}
