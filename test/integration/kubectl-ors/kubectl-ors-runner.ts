// Runs the installed `kubectl-ors` executable the way a user does: through the real
// kubectl, which finds plugins on PATH (a directory holding a `kubectl-ors` link to the
// package's bin), under the machine's own Node.
import { mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTool, type ToolResult } from '../../infra/command-line-tool.ts';
import { serverBinary } from '../../infra/server-binaries.ts';
import packageJson from '../../../package.json' with { type: 'json' };

const root = path.resolve(import.meta.dirname, '../../..');

export function pluginPath(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kubectl-plugins-'));
  symlinkSync(path.join(root, packageJson.bin['kubectl-ors']), path.join(dir, 'kubectl-ors'));
  return dir;
}

export function kubectlOrs(plugins: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ToolResult> {
  return runTool(serverBinary('kubectl'), ['ors', ...args], {
    env: { PATH: `${plugins}:${process.env.PATH ?? ''}`, HOME: process.env.HOME, ...env },
    timeoutMs: 180_000,
  });
}
