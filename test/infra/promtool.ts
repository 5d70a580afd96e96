import { runTool, type ToolResult } from './command-line-tool.ts';
import { serverBinary } from './server-binaries.ts';

/** promtool (the one `make servers` built from the Prometheus Go module). */
export function promtool(args: readonly string[], options: { cwd?: string } = {}): Promise<ToolResult> {
  return runTool(serverBinary('promtool'), args, options);
}
