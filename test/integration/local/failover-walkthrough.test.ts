// The failover walk-through of examples/strategies/README.md, run as written: its
// `npx ors local` (on a free port, with the data in this test's directory), its
// second-terminal commands in one bash, its first-terminal lines typed into ors local's
// stdin, each answer checked against the `# -> ` output the page shows. Only what the
// page says varies is substituted: the session id and its node, pids and ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findHaproxy } from '../../../runtime/local/haproxy-binary.ts';
import { waitUntil } from '../../infra/wait-until.ts';
import { fencedBlocks, section, shownCommands, type ShownCommand } from '../../support/markdown-commands.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const readme = path.join(root, 'examples/strategies/README.md');
/** The id and node the page shows in its example output. */
const SHOWN_ID = 'k3v9q0c2m8d1x7b4a6ze.node-1';
const SHOWN_NODE = '1';

const children: ChildProcess[] = [];
let dir = '';
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A child whose stdout and stderr are collected. */
function collected(child: ChildProcess): () => string {
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  children.push(child);
  return () => output;
}

/** One bash for the page's second terminal: variables carry from command to command. */
function secondTerminal(): (command: string) => Promise<string> {
  const bash = spawn('bash', ['--norc', '--noprofile'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  const read = collected(bash);
  let seen = 0;
  return async (command) => {
    const marker = `__done_${Date.now()}__`;
    bash.stdin!.write(`${command}\necho; echo ${marker}\n`);
    const output = await waitUntil(async () => {
      const text = read().slice(seen);
      const at = text.indexOf(`${marker}\n`);
      if (at < 0) return undefined;
      seen += at + marker.length + 1;
      return text.slice(0, at).trim();
    }, { what: `the answer to ${command}`, timeoutMs: 30_000, intervalMs: 20 });
    return output;
  };
}

/** The page's output with the values that differ from run to run as the page says. */
function expectedNow(expected: string, id: string): string {
  const node = /\.node-(\d+)$/.exec(id)![1]!;
  return expected.replaceAll(SHOWN_ID, id).replaceAll(`node-${SHOWN_NODE}`, `node-${node}`);
}

/** A first-terminal output line as a pattern: pids, ports and the column spacing vary. */
function linePattern(expected: string): RegExp {
  const escaped = expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(escaped.replace(/pid \d+/g, 'pid \\d+').replace(/127\\\.0\\\.0\\\.1:\d+/g, '127\\.0\\.0\\.1:\\d+').replace(/ +/g, '\\s+'));
}

describe('the failover walk-through of examples/strategies/README.md', () => {
  it('runs as written: a session with two notes answers from the new primary, with its notes, after kill of its primary', async () => {
    expect(findHaproxy(), 'haproxy is missing: sudo apt-get install haproxy').toBeDefined();
    const blocks = fencedBlocks(section(await readFile(readme, 'utf8'), 'Try a failover'));
    const steps = blocks.map((block) => ({ lang: block.lang, commands: shownCommands(block) }));
    expect(steps.map((step) => step.lang)).toEqual(['sh', 'sh', 'text', 'sh']);
    const [start, before, typed, after] = steps as [(typeof steps)[0], (typeof steps)[0], (typeof steps)[0], (typeof steps)[0]];
    expect(start.commands.map((c) => c.command)).toEqual(['npx ors local']);

    dir = await mkdtemp(path.join(os.tmpdir(), 'ors-walkthrough-'));
    // The page's command on a free port (8080 may be taken on a shared machine).
    const local = spawn('bash', ['-c', `${start.commands[0]!.command} --port 0 --data-dir ${dir}/data`], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const localOutput = collected(local);
    const front = await waitUntil(async () => /front \(HAProxy\): (\S+)/.exec(localOutput())?.[1], {
      what: 'ors local to say it is ready',
      timeoutMs: 90_000,
      abortIf: () => (local.exitCode === null ? undefined : new Error(`ors local exited:\n${localOutput()}`)),
    });
    // What the page says it prints while starting.
    expect(localOutput()).toContain(`data and logs: ${dir}/data (kept on exit)`);
    expect(localOutput()).toContain('ORS local cluster ready');

    const run = secondTerminal();
    let id = '';
    const check = async (step: ShownCommand, retryUntilShown = false) => {
      // The page's front address is where `npx ors local` listens by default: here, the free port's.
      const command = step.command.replace('http://127.0.0.1:8080', front);
      let output = await run(command);
      if (step.command.startsWith('echo $id')) {
        id = output;
        expect(id, `README line ${step.line}: the session start gave no session id`).toMatch(/^[a-z0-9]{20}\.node-\d+$/);
      }
      if (step.expected.length === 0) return;
      const shown = expectedNow(step.expected.join('\n'), id);
      // An answer of 503 with Retry-After while the new primary recovers: the page says ask again.
      const deadline = Date.now() + 20_000;
      while (retryUntilShown && output !== shown && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        output = await run(command);
      }
      expect(output, `README line ${step.line}: ${step.command}`).toBe(shown);
    };

    for (const step of before.commands) await check(step);

    for (const step of typed.commands) {
      const node = /\.node-(\d+)$/.exec(id)![1]!;
      // "type kill and that node's number"
      const line = step.command.replace(new RegExp(`^kill ${SHOWN_NODE}$`), `kill ${node}`);
      const seen = localOutput().length;
      local.stdin!.write(`${line}\n`);
      let typedAt = Date.now();
      for (const expected of step.expected) {
        const pattern = linePattern(expectedNow(expected, id));
        await waitUntil(async () => {
          if (pattern.test(localOutput().slice(seen))) return true;
          // `status` right after the kill may still show the takeover under way: a person types it again.
          if (line === 'status' && Date.now() - typedAt > 1000) {
            local.stdin!.write('status\n');
            typedAt = Date.now();
          }
          return undefined;
        }, { what: `README line ${step.line} (${line}) to print ${expected}`, timeoutMs: 20_000 });
      }
    }

    for (const step of after.commands) await check(step, true);

    const exited = new Promise<number | null>((resolve) => local.once('exit', resolve));
    local.stdin!.write('quit\n');
    expect(await exited).toBe(0);
    expect(localOutput()).toContain(`stopped; logs kept in ${dir}/data/logs`);
  });
});
