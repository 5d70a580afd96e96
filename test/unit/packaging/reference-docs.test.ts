// The reference pages generated from the zod schemas: checked in up to date (the drift
// test), complete (every option and every CRD field), and `ors docs --check` notices
// a stale page.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { driftedPages } from '../../../runtime/cli/docs-command.ts';
import { generatedFiles } from '../../../runtime/cli/generated-files.ts';
import { acceptedValues } from '../../../runtime/config/options-reference.ts';
import { envVarName } from '../../../runtime/config/load-config.ts';
import { optionNames } from '../../../runtime/config/runtime-options.ts';
import { fieldRows } from '../../../operator/api/crd-reference.ts';
import { buildOrsClusterCrd } from '../../../operator/api/crd.ts';
import { buildPluginProgram } from '../../../runtime/cli/kubectl-ors/kubectl-ors.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const scratch: string[] = [];
afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('reference docs', () => {
  it('the checked-in pages (and the HAProxy example) are exactly what the code generates (run `make docs` after a change)', async () => {
    expect(await driftedPages()).toEqual([]);
    for (const page of await generatedFiles()) expect(read(page.file)).toBe(page.text);
  });

  it('list every runtime option with its environment variable, accepted values and default', () => {
    const page = read('runtime/config/REFERENCE.md');
    for (const name of optionNames) {
      const row = page.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      expect(row).toContain(`\`${envVarName(name)}\``);
      expect(row).toContain(acceptedValues(name).replaceAll('|', '\\|'));
    }
    expect(page).toContain('| `call-watching-timeout` | `ORS_CALL_WATCHING_TIMEOUT` | an integer >= 0 | `5000` |');
    expect(page).toContain('| `telephony-url` | `ORS_TELEPHONY_URL` | a ws or wss URL |  |');
  });

  it('list every OrsCluster spec and status field, with defaults and CEL rules', () => {
    const page = read('operator/api/REFERENCE.md');
    const crd = buildOrsClusterCrd() as { spec: { versions: { schema: { openAPIV3Schema: { properties: Record<string, object> } } }[] } };
    const schema = crd.spec.versions[0].schema.openAPIV3Schema.properties;
    const rows = [...fieldRows(schema.spec, 'spec'), ...fieldRows(schema.status, 'status')];
    expect(rows.length).toBeGreaterThan(60);
    for (const row of rows) expect(page, row.path).toContain(`| \`${row.path}\` |`);
    expect(page).toContain('| `spec.nodes` | integer | `1` | 0 to 1000 |');
    expect(page).toContain('| `spec.persistence.cassandra.contactPoints` | []string |  | required; ≥ 1 items |');
    expect(page).toContain('rule: routing.host is required when an Ingress or a Gateway route is enabled');
  });

  it('the kubectl ors reference has every plugin command with its options', () => {
    const page = read('runtime/cli/kubectl-ors/REFERENCE.md');
    for (const command of buildPluginProgram().commands.filter((c) => c.name() !== 'help')) {
      expect(page).toContain(`## \`kubectl ors ${command.name()}\``);
      for (const option of command.options) expect(page, `${command.name()} ${option.flags}`).toContain(option.flags);
    }
    expect(page).toContain('-n, --namespace <namespace>');
  });

  it('`ors docs --check` fails on a stale page and passes on the checked-in ones', () => {
    const ors = (cwd: string) => spawnSync(process.execPath, [path.join(cwd, 'runtime/cli/ors.ts'), 'docs', '--check'], { cwd, encoding: 'utf8' });
    expect(ors(root).status).toBe(0);
    // A copy of the sources with one page edited by hand.
    const copy = mkdtempSync(path.join(os.tmpdir(), 'ors-docs-'));
    scratch.push(copy);
    for (const dir of ['runtime', 'operator']) cpSync(path.join(root, dir), path.join(copy, dir), { recursive: true });
    cpSync(path.join(root, 'package.json'), path.join(copy, 'package.json'));
    execFileSync('ln', ['-s', path.join(root, 'node_modules'), path.join(copy, 'node_modules')]);
    const page = path.join(copy, 'operator/api/REFERENCE.md');
    writeFileSync(page, readFileSync(page, 'utf8').replace('| `spec.nodes` | integer | `1` |', '| `spec.nodes` | integer | `3` |'));
    const result = ors(copy);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('operator/api/REFERENCE.md is out of date');
    expect(result.stderr).not.toContain('runtime/config/REFERENCE.md');
  });
});
