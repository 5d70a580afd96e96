import { describe, expect, it } from 'vitest';
import { fencedBlocks, section, shownCommands, simpleCommands, stripComment } from '../support/markdown-commands.ts';

const page = ['# Title', '', '```sh', 'make local   # a comment', "curl -s -d 'a=#1' \\", '  http://x/y', '# -> {"ok":true}', '```', '## Next', '```text', 'kill 1', '```'].join('\n');

describe('markdown commands', () => {
  it('reads fenced blocks, joins continuations, drops comments and keeps the shown output', () => {
    const [sh, text] = fencedBlocks(page);
    expect(sh!.lang).toBe('sh');
    expect(shownCommands(sh!)).toEqual([
      { command: 'make local', expected: [], line: 4 },
      { command: "curl -s -d 'a=#1' http://x/y", expected: ['{"ok":true}'], line: 5 },
    ]);
    expect(shownCommands(text!)).toEqual([{ command: 'kill 1', expected: [], line: 11 }]);
  });

  it('cuts a section at the next heading of its level, keeping line numbers', () => {
    expect(fencedBlocks(section(page, 'Title'))).toHaveLength(2);
    expect(fencedBlocks(section(page.replace('# Title', '## Title'), 'Title'))).toHaveLength(1);
    expect(fencedBlocks(section(page, 'Next')).map((block) => block.line)).toEqual([10]);
  });

  it('keeps a # inside quotes', () => {
    expect(stripComment(`sed -E 's/#x/\\1/' # why`)).toBe(`sed -E 's/#x/\\1/' `);
  });

  it('splits a line into the simple commands it runs, assignments dropped', () => {
    expect(simpleCommands(`id=$(curl -s -d 'a=b|c' x | sed -E 's/"x"/\\1/') && echo $id`)).toEqual([
      ['curl', '-s', '-d', "'a=b|c'", 'x'],
      ['sed', '-E', `'s/"x"/\\1/'`],
      ['echo', '$id'],
    ]);
    expect(simpleCommands('auth="Authorization: Bearer $TOKEN"')).toEqual([]);
    expect(simpleCommands('A=1 B=2 npx vitest run')).toEqual([['npx', 'vitest', 'run']]);
  });
});
