// Reads the shell commands a Markdown page shows, so tests can check that the docs'
// commands work as shown (test/integration/docs-commands.test.ts) and can run a
// walk-through exactly as written (test/integration/local/failover-walkthrough.test.ts).
// Pure: text in, commands out.

export interface FencedBlock {
  /** The info string after the opening fence (`sh`, `text`, ...), '' when none. */
  lang: string;
  /** 1-based line of the opening fence in the page. */
  line: number;
  body: string[];
}

export interface ShownCommand {
  /** The command with `\` continuations joined and a trailing `# comment` removed. */
  command: string;
  /** The `# -> ...` lines that follow it: the output the page says it prints. */
  expected: string[];
  /** 1-based line in the page. */
  line: number;
}

export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  let open: FencedBlock | undefined;
  markdown.split('\n').forEach((text, index) => {
    const fence = /^\s*```(.*)$/.exec(text);
    if (fence && !open) open = { lang: fence[1]!.trim(), line: index + 1, body: [] };
    else if (fence && open) {
      blocks.push(open);
      open = undefined;
    } else if (open) open.body.push(text);
  });
  return blocks;
}

/** The part of the page under the heading that starts with `heading`, up to the next heading of the same or a higher level. */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  // A `# ...` line inside a code block is a shell comment, not a heading.
  let inFence = false;
  const levels = lines.map((line) => {
    if (/^\s*```/.test(line)) inFence = !inFence;
    return !inFence && /^#+ /.test(line) ? /^#+/.exec(line)![0].length : 0;
  });
  const start = lines.findIndex((line, i) => levels[i]! > 0 && line.replace(/^#+ /, '').startsWith(heading));
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const end = levels.findIndex((level, i) => i > start && level > 0 && level <= levels[start]!);
  // Keep the line numbers of the page: blank out what is before the section.
  return [...lines.slice(0, start).map(() => ''), ...lines.slice(start, end < 0 ? undefined : end)].join('\n');
}

/** The commands of a block with their shown output; comment-only lines that are not `# -> ` are skipped. */
export function shownCommands(block: FencedBlock): ShownCommand[] {
  const commands: ShownCommand[] = [];
  for (let i = 0; i < block.body.length; i++) {
    const text = block.body[i]!;
    const arrow = /^\s*# -> (.*)$/.exec(text);
    if (arrow) {
      commands.at(-1)?.expected.push(arrow[1]!);
      continue;
    }
    if (/^\s*(#|$)/.test(text)) continue;
    const line = block.line + 1 + i;
    let command = text;
    while (command.endsWith('\\') && i + 1 < block.body.length) command = `${command.slice(0, -1)}${block.body[++i]!.trim()}`;
    commands.push({ command: stripComment(command).trim(), expected: [], line });
  }
  return commands;
}

/** Removes a trailing `# comment` outside quotes (and outside `$(...)` text such as `sed 's/#/x/'`). */
export function stripComment(command: string): string {
  let quote: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(command[i - 1]!))) return command.slice(0, i);
  }
  return command;
}

/**
 * The simple commands of a line, as words (quotes kept): split at &&, ||, ;, |, $( and )
 * outside quotes, without leading VAR=value assignments. Rough, but enough to see which
 * tools a page's commands run.
 */
export function simpleCommands(line: string): string[][] {
  const parts: string[] = [];
  let quote: string | undefined;
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      current += c;
    } else if (c === '|' || c === ';' || c === '&' || c === ')' || (c === '$' && line[i + 1] === '(')) {
      parts.push(current);
      current = '';
      if (c === '$') i++;
    } else current += c;
  }
  parts.push(current);
  return parts
    .map((part): string[] => part.match(/(?:[^\s'"]+|'[^']*'|"[^"]*")+/g) ?? [])
    .map((words) => {
      const first = words.findIndex((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
      return first < 0 ? [] : words.slice(first);
    })
    .filter((words) => words.length > 0);
}
