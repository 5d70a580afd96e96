// Runs every bench/*.bench.ts (or those whose file name contains one of the arguments)
// and writes bench/REPORT.md with the machine, the Node version and each figure beside
// its same-run baseline.
import { readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { advantage, type BenchFigure, type BenchSuite } from './figure.ts';

const benchDir = import.meta.dirname;
const filters = process.argv.slice(2);

function formatNumber(n: number): string {
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

function row(figure: BenchFigure): string {
  const ratio = advantage(figure);
  const baseline = figure.baseline
    ? `${formatNumber(figure.baseline.value)} (${figure.baseline.name})`
    : '—';
  const met = figure.met === undefined ? '' : figure.met ? 'yes' : '**no**';
  return `| ${figure.name} | ${formatNumber(figure.value)} ${figure.unit} | ${baseline} | ${
    ratio === undefined ? '—' : `${ratio.toFixed(2)}x`
  } | ${figure.target ?? ''} | ${met} |`;
}

const files = (await readdir(benchDir))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const sections: string[] = [];
const failures: string[] = [];
for (const file of files) {
  const suite = (await import(pathToFileURL(path.join(benchDir, file)).href)).default as BenchSuite;
  process.stdout.write(`bench: ${file} — ${suite.title}\n`);
  const started = performance.now();
  // One suite that fails must not cost the figures of the others: its failure goes into
  // the report in its place, and the run exits non-zero at the end.
  let figures: BenchFigure[] | undefined;
  let failure: string | undefined;
  try {
    figures = await suite.run();
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    failures.push(`${file}: ${failure}`);
    process.stderr.write(`bench: ${file} failed: ${failure}\n`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  for (const figure of figures ?? []) process.stdout.write(`  ${row(figure)}\n`);
  sections.push(
    [
      `## ${suite.title}`,
      '',
      `\`bench/${file}\`, ${seconds} s.`,
      '',
      ...(failure === undefined
        ? [
            '| figure | value | same-run baseline | advantage | target | met |',
            '| --- | --- | --- | --- | --- | --- |',
            ...figures!.map(row),
          ]
        : ['**Failed:** `' + failure.replaceAll('`', "'") + '`']),
      '',
    ].join('\n'),
  );
}

const cpus = os.cpus();
const header = [
  '# Benchmark report',
  '',
  `Written by \`make bench\` on ${new Date().toISOString()}.`,
  '',
  `- Machine: ${os.type()} ${os.release()} ${os.arch()}, ${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${(
    os.totalmem() / 2 ** 30
  ).toFixed(1)} GiB`,
  `- Node: ${process.version}`,
  '- "advantage" is value / baseline oriented so that above 1 is better than the baseline.',
  '- The machine is shared and noisy: read ratios, not absolute figures.',
  '',
].join('\n');

await writeFile(path.join(benchDir, 'REPORT.md'), `${header}\n${sections.join('\n')}`);
process.stdout.write(`bench: wrote ${path.join('bench', 'REPORT.md')}\n`);
if (failures.length > 0) {
  process.stderr.write(`bench: ${failures.length} suite(s) failed:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
  process.exitCode = 1;
}
