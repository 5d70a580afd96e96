import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { componentVersion, requiredModuleVersion, testCacheRoot } from '../../infra/server-binaries.ts';

describe('requiredModuleVersion', () => {
  it('reads a version from a require block', () => {
    const goMod = 'module x\n\nrequire (\n\tk8s.io/kubernetes v1.36.3 // indirect\n\tk8s.io/api v0.0.0\n)\n';
    expect(requiredModuleVersion(goMod, 'k8s.io/kubernetes')).toBe('v1.36.3');
  });

  it('reads a single-line require and does not match a longer module path', () => {
    const goMod = 'require go.etcd.io/etcd/server/v3/extra v9.9.9\nrequire go.etcd.io/etcd/server/v3 v3.6.16\n';
    expect(requiredModuleVersion(goMod, 'go.etcd.io/etcd/server/v3')).toBe('v3.6.16');
  });

  it('fails clearly when the module is not required', () => {
    expect(() => requiredModuleVersion('module x\n', 'helm.sh/helm/v3')).toThrow('go.mod does not require helm.sh/helm/v3');
  });
});

describe('pinned component versions', () => {
  it('pins Kubernetes 1.34 or newer and replaces every staging module with the matching v0.N.x', () => {
    const version = componentVersion('kubernetes');
    const [, minor, patch] = version.match(/^v1\.(\d+)\.(\d+)$/)!;
    expect(Number(minor)).toBeGreaterThanOrEqual(34);
    const goMod = readFileSync(path.join(import.meta.dirname, '../../infra/kubernetes/go.mod'), 'utf8');
    const replaces = [...goMod.matchAll(/^\s+(k8s\.io\/\S+) => (\S+) (v\S+)$/gm)];
    expect(replaces.length).toBeGreaterThan(25);
    for (const [, from, to, replacement] of replaces) {
      expect(to).toBe(from);
      expect(replacement).toBe(`v0.${minor}.${patch}`);
    }
    // Every module required at the unresolvable v0.0.0 (as k8s.io/kubernetes does) is replaced.
    const replaced = new Set(replaces.map(([, from]) => from));
    const atZero = [...goMod.matchAll(/^\s+(k8s\.io\/\S+) v0\.0\.0\s/gm)].map(([, module]) => module);
    expect(atZero.length).toBeGreaterThan(0);
    expect(atZero.filter((module) => !replaced.has(module))).toEqual([]);
  });

  it('pins etcd 3.6', () => {
    expect(componentVersion('etcd')).toMatch(/^v3\.6\.\d+$/);
  });

  it('pins promtool from a Prometheus 3 module (v0.3xx.y)', () => {
    expect(componentVersion('promtool')).toMatch(/^v0\.3\d\d\.\d+$/);
  });
});

describe('testCacheRoot', () => {
  it('honours ORS_TEST_CACHE, else uses ~/.cache/ors-test', () => {
    expect(testCacheRoot({ ORS_TEST_CACHE: '/c', HOME: '/h' })).toBe('/c');
    expect(testCacheRoot({ HOME: '/h' })).toBe('/h/.cache/ors-test');
  });
});
