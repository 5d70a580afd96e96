// Just enough of the Dockerfile grammar to check what an image will contain: stages,
// WORKDIR, COPY (with --from) and the exec-form ENTRYPOINT/CMD.
export interface CopyInstruction {
  from?: string;
  sources: string[];
  destination: string;
}

export interface Stage {
  name?: string;
  base: string;
  workdir: string;
  copies: CopyInstruction[];
  entrypoint?: string[];
  cmd?: string[];
}

function joinContinuations(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function parseExecForm(argument: string, instruction: string): string[] {
  const parsed: unknown = JSON.parse(argument);
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
    throw new Error(`${instruction} must use the exec form (a JSON array of strings): ${argument}`);
  }
  return parsed;
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of joinContinuations(text)) {
    const [, keyword = '', argument = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = keyword.toUpperCase();
    if (instruction === 'FROM') {
      const [base = '', as, name] = argument.split(/\s+/);
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? name : undefined, workdir: '/', copies: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${instruction} before FROM`);
    if (instruction === 'WORKDIR') stage.workdir = argument.startsWith('/') ? argument : `${stage.workdir}/${argument}`;
    if (instruction === 'COPY') {
      const words = argument.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      stage.copies.push({ from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' });
    }
    if (instruction === 'ENTRYPOINT') stage.entrypoint = parseExecForm(argument, instruction);
    if (instruction === 'CMD') stage.cmd = parseExecForm(argument, instruction);
  }
  return stages;
}

/**
 * A target as the image builder sees it: a stage whose base names an earlier stage
 * starts from that stage's files, working directory, entrypoint and command.
 */
export function resolveTarget(stages: Stage[], name: string): Stage {
  const index = stages.findIndex((s) => s.name === name);
  const stage = stages[index];
  if (!stage) throw new Error(`no stage named ${name}`);
  const parent = stages.slice(0, index).find((s) => s.name === stage.base);
  if (!parent) return stage;
  const base = resolveTarget(stages, parent.name!);
  return {
    name: stage.name,
    base: base.base,
    workdir: stage.workdir === '/' ? base.workdir : stage.workdir,
    copies: [...base.copies, ...stage.copies],
    entrypoint: stage.entrypoint ?? base.entrypoint,
    cmd: stage.cmd ?? (stage.entrypoint ? undefined : base.cmd),
  };
}
