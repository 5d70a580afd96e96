// The operator's strategy check accepts what `ors runtime` accepts: every example strategy
// and e2e fixture (ORS session, dialog and interaction elements) compiles, and a bad one
// is refused with its line and column.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { strategyCompileError } from '../../../runtime/sessions/strategy-compile-check.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const documents = ['examples/strategies', 'test/e2e/fixtures'].flatMap((dir) =>
  readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.scxml')).map((f) => path.join(dir, f)),
);

describe('strategyCompileError', () => {
  it.each(documents)('%s compiles', (file) => {
    expect(strategyCompileError(readFileSync(path.join(root, file), 'utf8'), path.basename(file))).toBeUndefined();
  });

  it('takes external sources as the runtime loader’s business', () => {
    const scxml = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"><script src="lib.js"/><state id="a"/></scxml>';
    expect(strategyCompileError(scxml, 'with-src.scxml')).toBeUndefined();
  });

  it('names the line and column of an unknown element', () => {
    const scxml = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">\n  <state id="a">\n    <bogus/>\n  </state>\n</scxml>';
    expect(strategyCompileError(scxml, 'bad.scxml')).toMatch(/bad\.scxml:3:5/);
  });
});
