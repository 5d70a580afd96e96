// The README documents only what exists: the quick-start lines stay first, every
// repository path it names exists, every `make` target is in the Makefile, every
// `--set` key is in the chart's values, and the OrsCluster names it uses are the examples'.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '../../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README.md', () => {
  it('starts with the two quick-start commands', () => {
    expect(readme.split('\n').slice(0, 6).join('\n')).toBe([
      '# ORS on Kubernetes',
      '',
      '```sh',
      'make local   # a local ORS cluster: 2 nodes x (primary, backup) behind HAProxy, no Kubernetes',
      'make test    # the whole test suite, on real kube-apiserver, etcd, Cassandra and HAProxy',
      '```',
    ].join('\n'));
  });

  it('names only repository paths that exist', () => {
    const paths = new Set(readme.match(/\b(?:examples|charts|runtime|operator|crds|test|bench)\/[\w./-]*[\w]/g) ?? []);
    expect(paths.size).toBeGreaterThan(10);
    for (const p of paths) expect(existsSync(path.join(root, p)), p).toBe(true);
  });

  it('uses only make targets the Makefile has', () => {
    const makefile = readFileSync(path.join(root, 'Makefile'), 'utf8');
    const targets = new Set([...readme.matchAll(/`make ([a-z-]+)`|^make ([a-z-]+)/gm)].map((m) => m[1] ?? m[2]));
    expect(targets).toContain('docs');
    for (const target of targets) expect(makefile, target).toMatch(new RegExp(`^${target}:`, 'm'));
  });

  it('sets only chart values that exist', () => {
    const values = parse(readFileSync(path.join(root, 'charts/ors-operator/values.yaml'), 'utf8')) as Record<string, unknown>;
    const keys = [...readme.matchAll(/--set ([\w.]+)=/g)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], values);
      expect(value, key).not.toBeUndefined();
    }
  });

  it('talks about the example clusters by their names', () => {
    const names = ['orscluster.yaml', 'orscluster-minimal.yaml'].map((f) => (parse(readFileSync(path.join(root, 'examples', f), 'utf8')) as { metadata: { name: string } }).metadata.name);
    expect(names).toContain('contact-center');
    expect(readme).toContain('kubectl annotate orsc contact-center ors.dev/switchover=1');
  });
});
