// Dynamic `import()` is refused at compile time: in a `vm` context its promise is settled
// by the host (a host TypeError when no loader is given, a host function when one is
// called with the stack nearly exhausted), and whatever the host creates leads, through
// its constructor chain, to the host's Function and `process`. Strategy code has no
// modules to import, so the expression never compiles.
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';

export const DYNAMIC_IMPORT_REFUSED = 'import() is not available to strategy code';

/** Throws a SyntaxError when the parsed program contains `import(...)`. */
export function rejectDynamicImport(ast: acorn.Node): void {
  walk.full(ast, (n) => {
    if (n.type === 'ImportExpression') throw new SyntaxError(DYNAMIC_IMPORT_REFUSED);
  });
}

/** Same, from source text (for function sources coming back from a snapshot). */
export function assertNoDynamicImport(source: string): void {
  rejectDynamicImport(acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'script' }));
}
