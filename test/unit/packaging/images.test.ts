// The container images cannot be built here (no container engine), so this checks what
// they depend on: every file the Dockerfile's build stage copies exists in the repository,
// and each image target, laid out as its stages lay it out, starts its entrypoint and
// answers `--help` for its default command.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDockerfile, resolveTarget } from './dockerfile.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const stages = parseDockerfile(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
const build = stages.find((s) => s.name === 'build');
// Image target, and the `ors` subcommand it runs by default.
const targets = [
  ['runtime', 'runtime'],
  ['operator', 'operator'],
] as const;
let buildOutput: string;

beforeAll(() => {
  buildOutput = mkdtempSync(path.join(os.tmpdir(), 'ors-image-'));
  const dist = path.join(buildOutput, 'dist');
  execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', dist], {
    cwd: root,
    stdio: 'inherit',
  });
  // The same asset copy as `make build` and the Dockerfile's build stage.
  execFileSync('sh', ['-c', `find runtime operator -type f ! -name '*.ts' -exec cp --parents {} '${dist}/' \\;`], {
    cwd: root,
  });
}, 300_000);

afterAll(() => {
  if (buildOutput) rmSync(buildOutput, { recursive: true, force: true });
});

describe('Dockerfile', () => {
  it('has a build stage; a plain `docker build .` builds the runtime image', () => {
    expect(build).toBeDefined();
    expect(stages.at(-1)?.name).toBe('runtime');
  });

  it('copies into the build stage only files the repository has', () => {
    for (const copy of build!.copies) {
      for (const source of copy.sources) expect(existsSync(path.join(root, source)), source).toBe(true);
    }
  });
});

describe.each(targets)('target %s', (target, command) => {
  const image = resolveTarget(stages, target);

  it('is a non-root Node 24 image', () => {
    expect(image.base).toMatch(/nodejs24.*:nonroot$/);
  });

  it('lays out the build output so the entrypoint starts its default command', () => {
    expect(image.cmd).toEqual([command]);
    // Recreate the image's WORKDIR from the build stage's outputs.
    const layout = mkdtempSync(path.join(buildOutput, 'image-'));
    for (const copy of image.copies) {
      expect(copy.from).toBe('build');
      for (const source of copy.sources) {
        const relative = path.relative(build!.workdir, source);
        const produced = relative === 'dist' ? path.join(buildOutput, 'dist') : path.join(root, relative);
        expect(existsSync(produced), `${source} is produced by the build stage`).toBe(true);
        const destination = path.join(layout, copy.destination === './' ? '' : copy.destination);
        if (relative === 'node_modules') symlinkSync(produced, path.join(layout, 'node_modules'));
        else cpSync(produced, destination, { recursive: true });
      }
    }
    const [interpreter, script, ...rest] = image.entrypoint ?? [];
    expect(interpreter).toBe('/nodejs/bin/node');
    expect(existsSync(path.join(layout, script!)), `${script} exists in the image`).toBe(true);
    const help = execFileSync(process.execPath, [script!, ...rest, ...(image.cmd ?? []), '--help'], {
      cwd: layout,
      encoding: 'utf8',
    });
    expect(help).toContain(`Usage: ors ${command}`);
  });
});

describe('.dockerignore', () => {
  it('excludes nothing the build stage copies', () => {
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const copy of build!.copies) for (const source of copy.sources) expect(ignored).not.toContain(source);
  });
});
