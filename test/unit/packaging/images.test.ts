// The container images cannot be built here (no container engine), so this checks what
// they depend on: every file the Dockerfiles copy exists in the repository or in the
// build output, and the image's entrypoint, laid out as the final stage lays it out,
// starts and answers `--help` for its default command.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDockerfile, type Stage } from './dockerfile.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const images = ['runtime/Dockerfile', 'operator/Dockerfile'];
let buildOutput: string;

beforeAll(() => {
  buildOutput = mkdtempSync(path.join(os.tmpdir(), 'ors-image-'));
  const dist = path.join(buildOutput, 'dist');
  execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', dist], {
    cwd: root,
    stdio: 'inherit',
  });
  // The same asset copy as `make build` and the Dockerfiles' build stage.
  execFileSync('sh', ['-c', `find runtime operator -type f ! -name '*.ts' ! -name Dockerfile -exec cp --parents {} '${dist}/' \\;`], {
    cwd: root,
  });
}, 300_000);

afterAll(() => {
  if (buildOutput) rmSync(buildOutput, { recursive: true, force: true });
});

function finalStage(stages: Stage[]): Stage {
  const stage = stages.at(-1);
  if (!stage) throw new Error('no stage');
  return stage;
}

describe.each(images)('%s', (dockerfile) => {
  const stages = parseDockerfile(readFileSync(path.join(root, dockerfile), 'utf8'));
  const build = stages.find((s) => s.name === 'build');
  const final = finalStage(stages);

  it('has a build stage and a non-root Node 24 final stage', () => {
    expect(build).toBeDefined();
    expect(final.base).toMatch(/nodejs24.*:nonroot$/);
  });

  it('copies into the build stage only files the repository has', () => {
    for (const copy of build!.copies) {
      for (const source of copy.sources) expect(existsSync(path.join(root, source)), source).toBe(true);
    }
  });

  it('lays out the build output so the entrypoint starts its default command', () => {
    // Recreate the final stage's WORKDIR from the build stage's outputs.
    const image = mkdtempSync(path.join(buildOutput, 'image-'));
    for (const copy of final.copies) {
      expect(copy.from).toBe('build');
      for (const source of copy.sources) {
        const relative = path.relative(build!.workdir, source);
        const produced = relative === 'dist' ? path.join(buildOutput, 'dist') : path.join(root, relative);
        expect(existsSync(produced), `${source} is produced by the build stage`).toBe(true);
        const target = path.join(image, copy.destination === './' ? '' : copy.destination);
        if (relative === 'node_modules') symlinkSync(produced, path.join(image, 'node_modules'));
        else cpSync(produced, target, { recursive: true });
      }
    }
    const [interpreter, script, ...rest] = final.entrypoint ?? [];
    expect(interpreter).toBe('/nodejs/bin/node');
    expect(existsSync(path.join(image, script!)), `${script} exists in the image`).toBe(true);
    const help = execFileSync(process.execPath, [script!, ...rest, ...(final.cmd ?? []), '--help'], {
      cwd: image,
      encoding: 'utf8',
    });
    expect(help).toContain(`Usage: ors ${final.cmd?.[0]}`);
  });
});

describe('.dockerignore', () => {
  it('excludes nothing the build stage copies', () => {
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const dockerfile of images) {
      const build = parseDockerfile(readFileSync(path.join(root, dockerfile), 'utf8')).find((s) => s.name === 'build')!;
      for (const copy of build.copies) for (const source of copy.sources) expect(ignored).not.toContain(source);
    }
  });
});
