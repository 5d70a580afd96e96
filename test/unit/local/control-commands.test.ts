import { describe, expect, it } from 'vitest';
import { parseControlCommand } from '../../../runtime/local/control-commands.ts';

describe('ors local control commands', () => {
  it('parses kill/freeze/thaw with a node number, by name or short form', () => {
    expect(parseControlCommand('kill 1', 3)).toEqual({ kind: 'kill', node: 1 });
    expect(parseControlCommand('  k node-2 ', 3)).toEqual({ kind: 'kill', node: 2 });
    expect(parseControlCommand('freeze 0', 3)).toEqual({ kind: 'freeze', node: 0 });
    expect(parseControlCommand('thaw 0', 3)).toEqual({ kind: 'thaw', node: 0 });
    expect(parseControlCommand('status', 3)).toEqual({ kind: 'status' });
    expect(parseControlCommand('q', 3)).toEqual({ kind: 'quit' });
    expect(parseControlCommand('   ', 3)).toBeUndefined();
  });

  it('explains bad input', () => {
    expect(parseControlCommand('kill 3', 3)).toEqual({ kind: 'error', message: 'kill needs a node number from 0 to 2' });
    expect(parseControlCommand('kill', 3)).toMatchObject({ kind: 'error' });
    expect(parseControlCommand('explode 1', 3)).toMatchObject({ kind: 'error', message: expect.stringMatching(/unknown command/) });
  });
});
