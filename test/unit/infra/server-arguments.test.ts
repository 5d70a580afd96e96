import { describe, expect, it } from 'vitest';
import { leafExtensions, subjectLine } from '../../infra/certificates.ts';
import { etcdArgs } from '../../infra/etcd.ts';
import { kubeApiServerArgs } from '../../infra/kube-apiserver.ts';
import { kubeControllerManagerArgs } from '../../infra/kube-controller-manager.ts';

const flag = (args: string[], name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');

describe('kube-apiserver arguments', () => {
  const args = kubeApiServerArgs({
    etcdUrl: 'http://127.0.0.1:2379',
    securePort: 12345,
    certDir: '/d',
    clientCa: '/d/ca.crt',
    serving: { cert: '/d/s.crt', key: '/d/s.key' },
    serviceAccount: { publicKey: '/d/sa.pub', privateKey: '/d/sa.key' },
    serviceAccountIssuer: 'https://issuer',
  });

  it('serves on loopback with RBAC authorization', () => {
    expect(flag(args, 'bind-address')).toBe('127.0.0.1');
    expect(flag(args, 'secure-port')).toBe('12345');
    expect(flag(args, 'authorization-mode')?.split(',')).toContain('RBAC');
  });

  it('verifies and signs service-account tokens with the given keys', () => {
    expect(flag(args, 'service-account-key-file')).toBe('/d/sa.pub');
    expect(flag(args, 'service-account-signing-key-file')).toBe('/d/sa.key');
    expect(flag(args, 'service-account-issuer')).toBe('https://issuer');
  });
});

describe('kube-controller-manager arguments', () => {
  it('runs every controller with per-controller service-account credentials', () => {
    const args = kubeControllerManagerArgs({
      kubeconfig: '/d/kcm.kubeconfig',
      securePort: 1,
      certDir: '/d/c',
      rootCa: '/d/ca.crt',
      serviceAccountPrivateKey: '/d/sa.key',
      clusterSigning: { cert: '/d/ca.crt', key: '/d/ca.key' },
    });
    expect(flag(args, 'controllers')).toBe('*');
    expect(flag(args, 'use-service-account-credentials')).toBe('true');
    expect(flag(args, 'service-account-private-key-file')).toBe('/d/sa.key');
    expect(flag(args, 'bind-address')).toBe('127.0.0.1');
  });
});

describe('etcd arguments', () => {
  it('is a one-member cluster on loopback ports', () => {
    const args = etcdArgs({ dataDir: '/d', clientPort: 3000, peerPort: 3001 });
    expect(flag(args, 'listen-client-urls')).toBe('http://127.0.0.1:3000');
    expect(flag(args, 'initial-cluster')).toBe('test=http://127.0.0.1:3001');
  });
});

describe('certificate requests', () => {
  it('puts organizations before the common name and escapes separators', () => {
    expect(subjectLine('admin', ['system:masters'])).toBe('/O=system:masters/CN=admin');
    expect(subjectLine('a/b')).toBe('/CN=a\\/b');
  });

  it('gives server certificates their subject alternative names', () => {
    const extensions = leafExtensions({ commonName: 's', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    expect(extensions).toContain('extendedKeyUsage=serverAuth');
    expect(extensions).toContain('subjectAltName=DNS:localhost,IP:127.0.0.1');
  });

  it('gives client certificates clientAuth and no names', () => {
    const extensions = leafExtensions({ commonName: 'c', usage: 'client' });
    expect(extensions).toContain('extendedKeyUsage=clientAuth');
    expect(extensions).not.toContain('subjectAltName');
  });
});
