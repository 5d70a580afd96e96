// A compiled document: compile once, create many sessions from it.
import { compileDocumentModel } from './compile.ts';
import type { CompileWarning } from './compile.ts';
import type { DocumentModel } from './model.ts';
import type { CompileOptions } from './types.ts';

/** A top-level `<data>` item as the host sees it (ORS fills `_type="parameter"` ones from HTTP parameters). */
export interface DataDeclaration {
  id: string;
  /** All attributes of the <data> element, including foreign ones like `_type`. */
  attributes: Readonly<Record<string, string>>;
}

export class ScxmlDocument {
  /** The `name` attribute of <scxml>. */
  readonly name: string | undefined;
  /** Every attribute of <scxml>, including non-standard ones such as `_persist`, `_sendSessionRecovered`. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Top-level data items (children of the <scxml>'s own <datamodel>), document order. */
  readonly data: readonly DataDeclaration[];
  /** Ids of all states, document order. */
  readonly stateIds: readonly string[];
  /** Non-fatal problems (e.g. an expression that does not parse, compiled to raise error.execution). */
  readonly warnings: readonly CompileWarning[];
  /** @internal The compiled model the interpreter runs. */
  readonly model: DocumentModel;
  /** @internal Options it was compiled with (reused for documents it invokes). */
  readonly options: CompileOptions;

  constructor(model: DocumentModel, warnings: CompileWarning[], options: CompileOptions) {
    this.model = model;
    this.options = options;
    this.name = model.name;
    this.attributes = Object.freeze({ ...model.attributes });
    this.data = Object.freeze(model.root.data.map((d) => Object.freeze({ id: d.id, attributes: Object.freeze({ ...d.attributes }) })));
    this.stateIds = Object.freeze(model.states.slice(1).map((s) => s.id));
    this.warnings = Object.freeze(warnings);
  }

  static fromModel(model: DocumentModel, options: CompileOptions): ScxmlDocument {
    return new ScxmlDocument(model, [], options);
  }
}

/** Compiles SCXML text. Throws ScxmlCompileError (line, column, element) on bad input. */
export function compile(xml: string, options: CompileOptions = {}): ScxmlDocument {
  const { model, warnings } = compileDocumentModel(xml, options);
  return new ScxmlDocument(model, warnings, options);
}
