// The commands `ors local` reads on stdin, one per line, for demos and chaos.
export type ControlCommand =
  | { kind: 'kill'; node: number }
  | { kind: 'freeze'; node: number }
  | { kind: 'thaw'; node: number }
  | { kind: 'status' }
  | { kind: 'help' }
  | { kind: 'quit' };

export const CONTROL_HELP = [
  'commands (type and press Enter):',
  '  kill <n>    kill -9 the primary of node n (its backup takes over; the killed process restarts as backup)',
  '  freeze <n>  SIGSTOP the primary of node n (it is fenced when it wakes)',
  '  thaw <n>    SIGCONT every frozen process of node n',
  '  status      show every process and its role',
  '  quit        stop everything (Ctrl-C does the same)',
].join('\n');

export function parseControlCommand(line: string, nodeCount: number): ControlCommand | { kind: 'error'; message: string } | undefined {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  const [verb, arg] = words as [string, string | undefined];
  const simple: Record<string, ControlCommand> = { status: { kind: 'status' }, s: { kind: 'status' }, help: { kind: 'help' }, '?': { kind: 'help' }, quit: { kind: 'quit' }, q: { kind: 'quit' }, exit: { kind: 'quit' } };
  if (simple[verb]) return simple[verb];
  const kinds: Record<string, 'kill' | 'freeze' | 'thaw'> = { kill: 'kill', k: 'kill', freeze: 'freeze', stop: 'freeze', f: 'freeze', thaw: 'thaw', cont: 'thaw', t: 'thaw' };
  const kind = kinds[verb];
  if (!kind) return { kind: 'error', message: `unknown command ${JSON.stringify(verb)}; type help` };
  const node = Number((arg ?? '').replace(/^node-/, ''));
  if (arg === undefined || !Number.isInteger(node) || node < 0 || node >= nodeCount) {
    return { kind: 'error', message: `${verb} needs a node number from 0 to ${nodeCount - 1}` };
  }
  return { kind, node };
}
