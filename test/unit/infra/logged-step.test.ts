// The progress lines of `make servers`/`make deps` (test/infra/logged-step.sh): one line
// for a cached step, a line as a working step starts and one when it ends, and on
// failure the log's tail and path; the step's own output only in its log.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = path.resolve(import.meta.dirname, '../../infra/run-logged-step.sh');
let logs = '';
afterAll(async () => {
  if (logs) await rm(logs, { recursive: true, force: true });
});

async function step(name: string, body: string): Promise<{ code: number; stdout: string; stderr: string }> {
  logs ||= await mkdtemp(path.join(os.tmpdir(), 'logged-step-'));
  return run('bash', [script, name, 'bash', '-c', body], { env: { ...process.env, ORS_LOGS_DIR: logs } })
    .then((r) => ({ code: 0, ...r }))
    .catch((error: { code: number; stdout: string; stderr: string }) => error);
}

describe('logged_step', () => {
  it('prints one line for a step that found its result cached', async () => {
    const result = await step('etcd', 'echo "etcd v3.6.16: cached in /cache/etcd-v3.6.16"');
    expect(result.stdout).toBe('etcd: cached in /cache/etcd-v3.6.16\n');
  });

  it('says what a working step does and where its log is, keeps its noise there, and says when it is done', async () => {
    const result = await step('helm', 'echo "helm v3: building helm"; sleep 0.5; echo "go: downloading a module"');
    expect(result.stdout).toMatch(/^helm: building helm \(log: \.logs\/helm\.log\)\nhelm: done in \d+ s \(log: \.logs\/helm\.log\)\n$/);
    expect(await readFile(path.join(logs, 'helm.log'), 'utf8')).toContain('go: downloading a module');
  });

  it('on failure prints the tail of the log and its path, and exits with the step\'s code', async () => {
    const result = await step('kubernetes', 'echo "kubernetes: building"; sleep 0.3; echo "compile error in x.go" >&2; exit 3');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('kubernetes: FAILED (exit 3)');
    expect(result.stderr).toContain('  | compile error in x.go');
    expect(result.stderr).toContain(`kubernetes: full log: ${path.join(logs, 'kubernetes.log')}`);
  });
});
