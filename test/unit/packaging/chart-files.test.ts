// The chart ships the CRD that `ors crd` generates, byte for byte (Helm installs
// crds/ before the templates and never templates them), and tags the image with the
// version the repository builds.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CRD_FILE, renderOrsClusterCrd } from '../../../operator/api/crd.ts';
import packageJson from '../../../package.json' with { type: 'json' };

const root = path.resolve(import.meta.dirname, '../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('charts/ors-operator', () => {
  it('crds/ holds exactly the generated CRD of the repository\'s crds/ folder', () => {
    const inChart = read('charts/ors-operator/crds/orsclusters.ors.dev.yaml');
    expect(inChart).toBe(read(CRD_FILE));
    expect(inChart).toBe(renderOrsClusterCrd());
  });

  it('appVersion (the default image tag) is the package version', () => {
    const chart = parse(read('charts/ors-operator/Chart.yaml')) as { appVersion: string; version: string };
    expect(chart.appVersion).toBe(packageJson.version);
  });
});
