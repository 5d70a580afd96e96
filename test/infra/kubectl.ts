import { runTool, runToolOrThrow } from './command-line-tool.ts';
import type { ToolResult } from './command-line-tool.ts';
import { serverBinary } from './server-binaries.ts';

/** kubectl (the one `make servers` built) against the cluster of `kubeconfig`. */
export function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<ToolResult> {
  return runTool(serverBinary('kubectl'), [`--kubeconfig=${kubeconfig}`, ...args], { input });
}

export function kubectlOrThrow(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  return runToolOrThrow(serverBinary('kubectl'), [`--kubeconfig=${kubeconfig}`, ...args], { input });
}
