// Every shell command the README and the other READMEs (examples, runtime, test...) show must work as shown on a
// fresh machine: a `make` target that exists (make -n), an `ors` subcommand and flags
// that `ors <sub> --help` lists, no `node ...` line (it would run the machine's Node,
// not the pinned 24: the docs say `npx ors` or `make`), files and folders of the
// repository that exist, and only tools this test knows how to judge. The cheap ones
// run for real: the examples README's single runtime, with its survey and call-routing
// requests (the walk-through of a failover has its own test:
// test/integration/local/failover-walkthrough.test.ts).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../infra/free-port.ts';
import { waitUntil } from '../infra/wait-until.ts';
import { fencedBlocks, section, shownCommands, simpleCommands, type ShownCommand } from '../support/markdown-commands.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

function readmesUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => path.basename(file) === 'README.md')
    .map((file) => path.join(dir, file));
}
const pages = ['README.md', ...['examples', 'runtime', 'operator', 'test', 'bench'].flatMap(readmesUnder)];

interface PageCommand extends ShownCommand {
  page: string;
}

function shellCommands(page: string): PageCommand[] {
  return fencedBlocks(readFileSync(path.join(root, page), 'utf8'))
    .filter((block) => ['sh', 'bash', 'shell', 'console'].includes(block.lang))
    .flatMap((block) => shownCommands(block).map((command) => ({ ...command, page })));
}

/** Tools the docs may show; a new one makes this test fail until someone decides how to check it. */
const KNOWN_TOOLS = new Set(['make', 'npx', 'kubectl', 'helm', 'curl', 'echo', 'base64', 'head', 'sed', 'jq', 'ln']);
/** Folders of the repository; a word that starts with one of them names a path that must exist. */
const REPO_FOLDERS = ['examples/', 'charts/', 'runtime/', 'operator/', 'crds/', 'test/', 'bench/'];

const subcommandHelp = new Map<string, Promise<string>>();
function helpOf(sub: string): Promise<string> {
  if (!subcommandHelp.has(sub)) {
    subcommandHelp.set(sub, run(process.execPath, ['runtime/cli/ors.ts', sub, '--help'], { cwd: root }).then((r) => r.stdout));
  }
  return subcommandHelp.get(sub)!;
}

async function problemsOf(command: PageCommand): Promise<string[]> {
  const problems: string[] = [];
  for (const words of simpleCommands(command.command)) {
    const [tool, ...args] = words as [string, ...string[]];
    if (tool === 'node') problems.push('a `node ...` line runs the machine\'s Node, not the pinned 24: show `npx ors ...` or a make target');
    else if (!KNOWN_TOOLS.has(tool)) problems.push(`unknown tool ${tool}`);
    if (tool === 'make') {
      for (const target of args.filter((arg) => !arg.startsWith('-') && !arg.includes('='))) {
        await run('make', ['-n', target], { cwd: root }).catch((error: Error) => problems.push(`make ${target}: ${error.message}`));
      }
    }
    if (tool === 'npx') {
      if (args[0] === 'vitest') continue;
      if (args[0] !== 'ors') problems.push(`npx ${args[0]}: only the project's own ors and its dev tools are installed`);
      const sub = args[1];
      const subcommands = /Commands:\n([\s\S]*)$/.exec((await run(process.execPath, ['runtime/cli/ors.ts', '--help'], { cwd: root })).stdout)?.[1] ?? '';
      if (!sub || !new RegExp(`^\\s+${sub}\\b`, 'm').test(subcommands)) problems.push(`ors has no subcommand ${sub}`);
      else {
        const help = await helpOf(sub);
        for (const flag of args.filter((arg) => arg.startsWith('--')).map((arg) => arg.split('=')[0]!)) {
          if (!help.includes(`${flag} `)) problems.push(`ors ${sub} has no flag ${flag}`);
        }
      }
    }
    for (const word of args.map((arg) => arg.replace(/^['"]|['"]$/g, ''))) {
      if (REPO_FOLDERS.some((folder) => word.startsWith(folder)) && !/[<$*]/.test(word) && !existsSync(path.join(root, word))) {
        problems.push(`${word} does not exist`);
      }
    }
  }
  return problems;
}

describe('the commands the docs show', () => {
  const all = pages.flatMap(shellCommands);

  it('finds the commands of every page', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'examples/strategies/README.md']));
    expect(all.filter((c) => c.page === 'README.md').map((c) => c.command)).toEqual(expect.arrayContaining(['make local', 'make test']));
    expect(all.filter((c) => c.page === 'examples/strategies/README.md').length).toBeGreaterThan(10);
  });

  it.each(pages)('%s: make targets, ors subcommands and flags, and repository paths exist; no `node ...` lines', async (page) => {
    const problems: string[] = [];
    for (const command of all.filter((c) => c.page === page)) {
      for (const problem of await problemsOf(command)) problems.push(`${page}:${command.line}: ${command.command}\n    ${problem}`);
    }
    expect(problems.join('\n')).toBe('');
  });
});

describe('the examples README run for real', () => {
  const page = 'examples/strategies/README.md';
  const markdown = readFileSync(path.join(root, page), 'utf8');
  const blocksOf = (heading: string) => fencedBlocks(section(markdown, heading)).flatMap(shownCommands);
  let runtime: ChildProcess | undefined;
  afterAll(() => {
    if (runtime?.exitCode === null) runtime.kill('SIGTERM');
  });

  it('one runtime as the README starts it answers the survey and call-routing requests as shown', async () => {
    const [start] = blocksOf('One runtime');
    expect(start!.command).toMatch(/^npx ors runtime .*--http-port 8080/);
    const port = await freePort();
    // The page's command on a free port (8080 may be taken on a shared machine).
    runtime = spawn('bash', ['-c', start!.command.replace('--http-port 8080', `--http-port ${port}`)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    runtime.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    runtime.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitUntil(async () => ((await fetch(`http://127.0.0.1:${port}/heartbeat`)).status === 200 ? true : undefined), {
      what: 'the runtime of the examples README',
      timeoutMs: 60_000,
      abortIf: () => (runtime!.exitCode === null ? undefined : new Error(`it exited:\n${output}`)),
    });

    for (const heading of ['http-survey.scxml', 'call-routing.scxml']) {
      // The requests of one section in one bash, so `id` carries from line to line, a
      // moment apart as a person types them (call-routing's greeting is a 50 ms delayed send).
      const lines = blocksOf(heading).map((c) => c.command.replaceAll('localhost:8080', `127.0.0.1:${port}`));
      const script = ['set -e', ...lines.flatMap((line) => [line, 'sleep 0.3']), ''].join('\n');
      const { stdout } = await run('bash', ['-c', script], { cwd: root });
      const answers = stdout.split(/(?<=\})(?=\{)|\n/).filter(Boolean);
      expect(answers.length, `${heading}: ${stdout}`).toBeGreaterThanOrEqual(3);
      for (const answer of answers) expect(JSON.parse(answer), `${heading}: ${answer}`).not.toHaveProperty('error');
      if (heading === 'call-routing.scxml') expect(stdout).toContain('"state":"routed","route":"agent"');
    }
  });
});
