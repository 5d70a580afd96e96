// `ors docs`: writes the files generated from code (generated-files.ts): the reference
// pages from the zod schemas (every runtime option, every OrsCluster field) beside the
// schemas they come from, and the HAProxy example; `--check` only compares and fails
// when a checked-in file has drifted (the drift test uses it).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { generatedFiles } from './generated-files.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '../..');

/** The files whose checked-in text differs from what the code generates now. */
export async function driftedPages(root = repositoryRoot): Promise<string[]> {
  const drifted: string[] = [];
  for (const page of await generatedFiles()) {
    const current = await readFile(path.join(root, page.file), 'utf8').catch(() => undefined);
    if (current !== page.text) drifted.push(page.file);
  }
  return drifted;
}

export function docsCommand(): Command {
  return new Command('docs')
    .description('write the files generated from code: reference docs from the zod schemas (runtime options, OrsCluster fields), the HAProxy example')
    .option('--check', 'write nothing; exit 1 when a checked-in file differs from what the code generates')
    .action(async (flags: { check?: boolean }) => {
      if (flags.check) {
        const drifted = await driftedPages();
        for (const file of drifted) process.stderr.write(`ors docs: ${file} is out of date; run \`ors docs\` (make docs)\n`);
        process.exitCode = drifted.length > 0 ? 1 : 0;
        return;
      }
      for (const page of await generatedFiles()) {
        await writeFile(path.join(repositoryRoot, page.file), page.text);
        process.stdout.write(`wrote ${page.file}\n`);
      }
    });
}
