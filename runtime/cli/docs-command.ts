// `ors docs`: writes the reference pages generated from the zod schemas (every runtime
// option, every OrsCluster field) beside the schemas they come from; `--check` only
// compares and fails when a checked-in page has drifted (CI and the drift test use it).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';

const repositoryRoot = path.resolve(import.meta.dirname, '../..');

export interface ReferencePage {
  /** Relative to the repository root. */
  file: string;
  text: string;
}

export async function referencePages(): Promise<ReferencePage[]> {
  const { renderRuntimeOptionsReference } = await import('../config/options-reference.ts');
  const { renderOrsClusterReference } = await import('../../operator/api/crd-reference.ts');
  return [
    { file: 'runtime/config/REFERENCE.md', text: renderRuntimeOptionsReference() },
    { file: 'operator/api/REFERENCE.md', text: renderOrsClusterReference() },
  ];
}

/** The pages whose checked-in text differs from what the schemas generate now. */
export async function driftedPages(root = repositoryRoot): Promise<string[]> {
  const drifted: string[] = [];
  for (const page of await referencePages()) {
    const current = await readFile(path.join(root, page.file), 'utf8').catch(() => undefined);
    if (current !== page.text) drifted.push(page.file);
  }
  return drifted;
}

export function docsCommand(): Command {
  return new Command('docs')
    .description('write the reference docs generated from the zod schemas (runtime options, OrsCluster fields)')
    .option('--check', 'write nothing; exit 1 when a checked-in page differs from the schemas')
    .action(async (flags: { check?: boolean }) => {
      if (flags.check) {
        const drifted = await driftedPages();
        for (const file of drifted) process.stderr.write(`ors docs: ${file} is out of date; run \`ors docs\` (make docs)\n`);
        process.exitCode = drifted.length > 0 ? 1 : 0;
        return;
      }
      for (const page of await referencePages()) {
        await writeFile(path.join(repositoryRoot, page.file), page.text);
        process.stdout.write(`wrote ${page.file}\n`);
      }
    });
}
