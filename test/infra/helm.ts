import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTool, runToolOrThrow } from './command-line-tool.ts';
import type { ToolResult } from './command-line-tool.ts';
import { serverBinary } from './server-binaries.ts';

// helm keeps config, cache and repository data under the user's home; tests get their
// own folders so they neither read nor change the developer's helm setup.
let helmHome: string | undefined;

function helmEnv(kubeconfig?: string): NodeJS.ProcessEnv {
  helmHome ??= mkdtempSync(path.join(os.tmpdir(), 'ors-helm-'));
  return {
    ...process.env,
    HELM_CONFIG_HOME: path.join(helmHome, 'config'),
    HELM_CACHE_HOME: path.join(helmHome, 'cache'),
    HELM_DATA_HOME: path.join(helmHome, 'data'),
    ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}),
  };
}

/** helm (the one `make servers` built); `kubeconfig` for commands that talk to a cluster. */
export function helm(args: readonly string[], kubeconfig?: string): Promise<ToolResult> {
  return runTool(serverBinary('helm'), args, { env: helmEnv(kubeconfig) });
}

export function helmOrThrow(args: readonly string[], kubeconfig?: string): Promise<string> {
  return runToolOrThrow(serverBinary('helm'), args, { env: helmEnv(kubeconfig) });
}
