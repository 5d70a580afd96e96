// The loop check is a call `__scxml_rt.tick()` that the compiler puts in every loop body
// and function entry (ecmascript.ts); it resolves `__scxml_rt` by name. Strategy code that
// rebinds that name (`__scxml_rt = { tick() {} }`, a parameter or variable of that name)
// or puts an object in front of it (`with ({ __scxml_rt: … })`) turns the check off for
// everything compiled in the same function, and the loop after it runs until the
// watchdog ends the session. Both are refused when compiling, and again for function
// sources coming back from a snapshot (which legitimately *read* `__scxml_*` names).
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';

export const RESERVED_PREFIX = '__scxml_';
export const WITH_REFUSED = 'with statements are not available to strategy code';

function refuseReserved(node: acorn.Node): void {
  if (node.type === 'Identifier' && (node as acorn.Identifier).name.startsWith(RESERVED_PREFIX)) {
    throw new SyntaxError(`${(node as acorn.Identifier).name} is reserved for the interpreter`);
  }
}

// acorn-walk visits every binding and assignment target that is a plain name (variables,
// parameters, function and class names, catch parameters, destructuring, `x = …`) as a
// VariablePattern; a for-in/of head without a declaration is visited as an expression.
// (VariablePattern is a pseudo-type of acorn-walk's base, missing from its typings.)
const BASE = { ...walk.base, VariablePattern: (node: acorn.Node) => refuseReserved(node) } as walk.RecursiveVisitors<unknown>;

/** Throws a SyntaxError when the program binds or assigns a `__scxml_*` name, or uses `with`. */
export function rejectInstrumentationTampering(ast: acorn.Node): void {
  walk.full(
    ast,
    (n) => {
      if (n.type === 'WithStatement') throw new SyntaxError(WITH_REFUSED);
      if (n.type === 'ForInStatement' || n.type === 'ForOfStatement') refuseReserved((n as acorn.ForInStatement).left);
    },
    BASE,
  );
}

/** Same, from source text (for function sources coming back from a snapshot). */
export function assertNoInstrumentationTampering(source: string): void {
  rejectInstrumentationTampering(acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'script' }));
}
