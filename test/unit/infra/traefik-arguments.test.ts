import { describe, expect, it } from 'vitest';
import { traefikArguments } from '../../infra/traefik.ts';

// Traefik's static configuration for the tests: the providers asked for, watching only
// the test namespaces, and never a call home (the tests reach no host but this machine).

const base = {
  address: '10.130.0.7',
  ports: { web: 41000, api: 41001 },
  namespaces: ['traefik-a1b2c3', 'other-d4e5f6'],
  gatewayClassLabel: 'ors.dev/traefik-instance=a1b2c3',
  accessLog: '/tmp/access.log',
  experimentalChannel: false,
};

describe('traefikArguments', () => {
  it('turns off the version check and the usage statistics', () => {
    const args = traefikArguments({ ...base, providers: ['ingress', 'gateway'] });
    expect(args).toContain('--global.checkNewVersion=false');
    expect(args).toContain('--global.sendAnonymousUsage=false');
  });

  it('listens on the given address and ports only', () => {
    const args = traefikArguments({ ...base, providers: ['ingress'] });
    expect(args.filter((a) => a.includes('.address='))).toEqual([
      '--entryPoints.web.address=10.130.0.7:41000',
      '--entryPoints.traefik.address=10.130.0.7:41001',
    ]);
  });

  it('runs the providers asked for, each restricted to the test namespaces', () => {
    const ingressOnly = traefikArguments({ ...base, providers: ['ingress'] });
    expect(ingressOnly).toContain('--providers.kubernetesIngress=true');
    expect(ingressOnly).toContain('--providers.kubernetesIngress.namespaces=traefik-a1b2c3,other-d4e5f6');
    expect(ingressOnly.some((a) => a.startsWith('--providers.kubernetesGateway'))).toBe(false);

    const gatewayOnly = traefikArguments({ ...base, providers: ['gateway'] });
    expect(gatewayOnly.some((a) => a.startsWith('--providers.kubernetesIngress'))).toBe(false);
    expect(gatewayOnly).toContain('--providers.kubernetesGateway.namespaces=traefik-a1b2c3,other-d4e5f6');
    // Its own GatewayClass only: another test file's Traefik claims its own.
    expect(gatewayOnly).toContain('--providers.kubernetesGateway.labelSelector=ors.dev/traefik-instance=a1b2c3');
    expect(gatewayOnly).toContain('--providers.kubernetesGateway.experimentalChannel=false');
  });
});
