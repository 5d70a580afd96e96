// The interpreter's internal records: queued events, pending delayed sends, invocations.
import type { ElementSite, InvokeSpec, StateModel } from '../model.ts';
import type { EventInput, ScxmlEvent } from '../types.ts';
import type { Session } from './session.ts';

export const SCXML_PROCESSOR = 'http://www.w3.org/TR/scxml/#SCXMLEventProcessor';
export const BASIC_HTTP_PROCESSOR = 'http://www.w3.org/TR/scxml/#BasicHTTPEventProcessor';
/** System variables (SCXML 5.10): strategy code cannot assign them. */
export const SYSTEM_NAMES = new Set(['_event', '_sessionid', '_name', '_ioprocessors', 'In']);
export const EMPTY_MAP: ReadonlyMap<never, never> = new Map<never, never>();

/**
 * Executable content failed: becomes error.execution. Errors of strategy code (realm
 * values) are wrapped, with their text taken inside the realm, and `site` records the
 * innermost element the error passed through.
 */
export class ExecutionError extends Error {
  sendid: string | undefined;
  site: ElementSite | undefined;
}

/** An event on a queue: the `_event` it becomes, its data a realm value. */
export type QueuedEvent = ScxmlEvent;

export interface PendingSend {
  sendid: string;
  due: number;
  event: QueuedEvent;
  target: string | undefined;
  type: string;
  timer: unknown;
  /** The <send>, for the error event if delivery fails. */
  site?: ElementSite | undefined;
}

/** How a child document was obtained, so a snapshot can find it again. */
export type ChildDocumentRef =
  | { kind: 'inline'; state: string; invoke: number }
  | { kind: 'src'; src: string }
  | { kind: 'text'; xml: string };

export interface Invocation {
  invokeid: string;
  state: StateModel;
  spec: InvokeSpec;
  /** Undefined while an asynchronous `loadDocument` is still loading the child's document. */
  child: Session | undefined;
  documentRef: ChildDocumentRef;
  /** While loading: the data for the child, and events forwarded to it meanwhile. */
  params?: Record<string, unknown> | undefined;
  waiting?: EventInput[];
}

export interface ParentLink {
  session: Session;
  invokeid: string;
}
