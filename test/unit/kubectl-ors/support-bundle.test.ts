import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { belongsToCluster, redact, tarGz } from '../../../runtime/cli/kubectl-ors/support-bundle.ts';

describe('kubectl ors support bundle', () => {
  it('redacts every Secret value, including the last-applied copy, and keeps keys and sizes', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cc-sync-key', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"key":"c2VjcmV0"}}' }, managedFields: [{ manager: 'x' }] },
      data: { key: Buffer.from('secret-value').toString('base64') },
      stringData: { token: 'plain-token' },
    };
    const text = JSON.stringify(redact(secret));
    expect(text).not.toContain('c2VjcmV0');
    expect(text).not.toContain(secret.data.key);
    expect(text).not.toContain('plain-token');
    expect(redact(secret)).toMatchObject({ data: { key: '<redacted: 12 bytes>' }, stringData: { token: '<redacted: 11 bytes>' } });
    expect(secret.data.key).toBe(Buffer.from('secret-value').toString('base64'));
    const configMap = redact({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cc-options', managedFields: [] }, data: { a: 'b' } } as never);
    expect(configMap).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cc-options' }, data: { a: 'b' } });
  });

  it('takes the objects labelled with, owned by or named after the cluster', () => {
    const cluster = { name: 'cc', uid: 'u1' };
    expect(belongsToCluster({ metadata: { name: 'x', labels: { 'ors.dev/cluster': 'cc' } } }, cluster)).toBe(true);
    expect(belongsToCluster({ metadata: { name: 'x', ownerReferences: [{ uid: 'u1', apiVersion: 'v', kind: 'k', name: 'cc' }] } }, cluster)).toBe(true);
    expect(belongsToCluster({ metadata: { name: 'cc-node-0' } }, cluster)).toBe(true);
    expect(belongsToCluster({ metadata: { name: 'ccx-node-0' } }, cluster)).toBe(false);
    expect(belongsToCluster({ metadata: { name: 'other', labels: { 'ors.dev/cluster': 'dd' } } }, cluster)).toBe(false);
  });

  it('packs a tar.gz that tar reads back', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
    const long = `objects/${'x'.repeat(90)}/${'y'.repeat(60)}.yaml`;
    writeFileSync(path.join(dir, 'b.tar.gz'), tarGz('bundle', [{ path: 'a.txt', content: 'hello\n' }, { path: long, content: 'é'.repeat(700) }], new Date('2026-12-03T06:00:00Z')));
    expect(execFileSync('tar', ['-tzf', 'b.tar.gz'], { cwd: dir, encoding: 'utf8' }).trim().split('\n')).toEqual(['bundle/a.txt', `bundle/${long}`]);
    execFileSync('tar', ['-xzf', 'b.tar.gz'], { cwd: dir });
    expect(readFileSync(path.join(dir, 'bundle/a.txt'), 'utf8')).toBe('hello\n');
    expect(readFileSync(path.join(dir, 'bundle', long), 'utf8')).toBe('é'.repeat(700));
  });
});
