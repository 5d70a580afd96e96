#!/usr/bin/env node
// The `kubectl-ors` executable (package.json "bin"): runs kubectl-ors.ts on Node 24, the
// pinned Node of this package, which runs TypeScript as is. Under another Node (the
// machine's Node 20 cannot load .ts files) it runs the pinned one from node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import process from 'node:process';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.join(here, 'kubectl-ors.ts');
if (Number(process.versions.node.split('.')[0]) === 24) {
  process.argv[1] = entry;
  const { buildPluginProgram } = await import(entry);
  try {
    await buildPluginProgram().parseAsync(process.argv);
  } catch (error) {
    process.stderr.write(`kubectl ors: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
} else {
  const pinned = [path.join(here, '../../../node_modules/.bin/node'), path.join(here, '../../../../.bin/node')].find((p) => existsSync(p));
  if (!pinned) {
    process.stderr.write(`kubectl ors needs Node 24 (this is ${process.version}); install it or run npm install in the package\n`);
    process.exit(1);
  }
  const result = spawnSync(pinned, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
