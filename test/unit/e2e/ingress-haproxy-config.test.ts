import { describe, expect, it } from 'vitest';
import { ingressSections } from '../../e2e/ingress/ingress-haproxy-config.ts';

describe('the Ingress stand-in configuration', () => {
  const config = ingressSections({
    ingresses: [{
      metadata: { name: 'cc', namespace: 'ns' },
      spec: {
        rules: [
          { host: 'ors.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'cc', port: { number: 8080 } } } }] } },
          { host: 'node-0.ors.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'cc-node-0', port: { number: 8080 } } } }] } },
        ],
      },
    }],
    services: [{ metadata: { name: 'cc' }, spec: { ports: [{ name: 'http', port: 8080 }] } }],
    endpointSlices: [
      {
        metadata: { name: 'cc-x', labels: { 'kubernetes.io/service-name': 'cc' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 31000 }],
        endpoints: [
          { addresses: ['10.7.0.2'], conditions: { ready: true }, targetRef: { name: 'cc-node-0-0' } },
          { addresses: ['10.7.0.3'], conditions: { ready: false }, targetRef: { name: 'cc-node-0-1' } },
          { addresses: ['10.7.0.4'], conditions: { ready: false, terminating: true }, targetRef: { name: 'cc-node-1-0' } },
        ],
      },
    ],
  }, { address: '10.200.0.9', port: 9999 });

  it('routes on the Host header to one backend per Service', () => {
    expect(config).toContain('bind 10.200.0.9:9999');
    expect(config).toMatch(/acl rule_0_host req.hdr\(host\),field\(1,:\) -m str -i ors.test/);
    expect(config).toContain('use_backend ns_cc_8080 if rule_0_host rule_0_path');
    expect(config).toContain('use_backend ns_cc-node-0_8080 if rule_1_host rule_1_path');
  });

  it('health-checks every non-terminating endpoint on /heartbeat, at its pod IP, sticky on ORSSESSIONID', () => {
    expect(config).toContain('server cc-node-0-0 10.7.0.2:31000 check');
    expect(config).toContain('server cc-node-0-1 10.7.0.3:31000 check');
    expect(config).not.toContain('cc-node-1-0');
    expect(config).toContain('option httpchk GET /heartbeat');
    expect(config).toContain('stick on req.cook(ORSSESSIONID)');
  });

  it('reads ImplementationSpecific paths as regular expressions when the Ingress asks (path-type: regex), the rest as prefixes', () => {
    const session = '/scxml/session/([a-z2-7]{20}\\.node-0|node-0\\.[a-z2-7]{20})(/.*)?$';
    const regex = ingressSections({
      ingresses: [{
        metadata: { name: 'cc', namespace: 'ns', annotations: { 'haproxy-ingress.github.io/path-type': 'regex' } },
        spec: { rules: [{ host: 'ors.test', http: { paths: [
          { path: session, pathType: 'ImplementationSpecific', backend: { service: { name: 'cc-node-0', port: { number: 8080 } } } },
          { path: '/', pathType: 'Prefix', backend: { service: { name: 'cc', port: { number: 8080 } } } },
        ] } }] },
      }],
      services: [],
      endpointSlices: [],
    }, { address: '10.200.0.9', port: 9999 });
    expect(regex).toContain(`acl rule_0_path path_reg ${session}`);
    expect(regex).toContain('acl rule_1_path path_beg /');
    expect(regex.indexOf('use_backend ns_cc-node-0_8080')).toBeLessThan(regex.indexOf('use_backend ns_cc_8080'));
    expect(config).not.toContain('path_reg');
  });
});
