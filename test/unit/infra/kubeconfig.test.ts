import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kubeConfigWithToken, kubeconfigYaml } from '../../infra/kubeconfig.ts';

describe('kubeconfigYaml', () => {
  it('writes a client-certificate kubeconfig that client-node reads', () => {
    const yaml = kubeconfigYaml({
      name: 'test',
      server: 'https://127.0.0.1:6443',
      certificateAuthority: '/d/ca.crt',
      credentials: { clientCertificate: '/d/admin.crt', clientKey: '/d/admin.key' },
      namespace: 'ns',
    });
    const config = new KubeConfig();
    config.loadFromString(yaml);
    expect(config.getCurrentCluster()).toMatchObject({ server: 'https://127.0.0.1:6443', caFile: '/d/ca.crt' });
    expect(config.getCurrentUser()).toMatchObject({ certFile: '/d/admin.crt', keyFile: '/d/admin.key' });
    expect(parse(yaml).contexts[0].context.namespace).toBe('ns');
  });

  it('writes a token kubeconfig', () => {
    const yaml = kubeconfigYaml({
      name: 't',
      server: 'https://127.0.0.1:1',
      certificateAuthority: '/ca',
      credentials: { token: 'abc' },
    });
    expect(parse(yaml).users[0].user).toEqual({ token: 'abc' });
  });
});

describe('kubeConfigWithToken', () => {
  it('keeps the cluster and swaps the credentials', () => {
    const base = new KubeConfig();
    base.loadFromString(
      kubeconfigYaml({
        name: 'x',
        server: 'https://127.0.0.1:2',
        certificateAuthority: '/ca',
        credentials: { clientCertificate: '/c', clientKey: '/k' },
      }),
    );
    const config = kubeConfigWithToken(base, 'tok', 'system:serviceaccount:a:b');
    expect(config.getCurrentCluster()?.server).toBe('https://127.0.0.1:2');
    expect(config.getCurrentUser()).toMatchObject({ name: 'system:serviceaccount:a:b', token: 'tok' });
  });
});
