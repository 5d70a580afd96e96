import { describe, expect, it } from 'vitest';
import { buildHaproxyConfig } from '../../../runtime/local/haproxy-config.ts';

const layout = {
  frontHost: '127.0.0.1',
  frontPort: 8080,
  adminSocket: '/tmp/x/admin.sock',
  nodes: [
    { id: 'node-0', servers: [{ name: 'node-0-a', host: '127.0.0.1', port: 9000 }, { name: 'node-0-b', host: '127.0.0.1', port: 9001 }] },
    { id: 'node-1', servers: [{ name: 'node-1-a', host: '127.0.0.1', port: 9002 }, { name: 'node-1-b', host: '127.0.0.1', port: 9003 }] },
  ],
};

function section(config: string, header: string): string {
  const start = config.indexOf(`\n${header}\n`) + 1;
  expect(start).toBeGreaterThan(0);
  const rest = config.slice(start);
  const end = rest.indexOf('\n\n');
  return end < 0 ? rest : rest.slice(0, end);
}

describe('buildHaproxyConfig', () => {
  const config = buildHaproxyConfig(layout);

  it('binds the front and routes each node\'s session URLs to that node', () => {
    const front = section(config, 'frontend ors');
    expect(front).toContain('bind 127.0.0.1:8080');
    expect(front).toContain('acl is_node_0 path_beg /scxml/session/node-0.');
    expect(front).toContain('use_backend node-node-1 if is_node_1');
    expect(front).toContain('default_backend primaries');
  });

  it('health-checks /heartbeat expecting 200 in every backend, so only primaries get traffic', () => {
    for (const header of ['backend primaries', 'backend node-node-0', 'backend node-node-1']) {
      const backend = section(config, header);
      expect(backend).toContain('option httpchk GET /heartbeat');
      expect(backend).toContain('http-check expect status 200');
      expect(backend).toMatch(/server \S+ 127\.0\.0\.1:\d+ check /);
    }
    expect(section(config, 'backend node-node-0')).not.toContain('9002');
    expect(section(config, 'backend primaries').match(/^\s+server /gm)).toHaveLength(4);
  });

  it('sticks on the ORSSESSIONID cookie learned from responses', () => {
    const backend = section(config, 'backend primaries');
    expect(backend).toContain('stick on req.cook(ORSSESSIONID)');
    expect(backend).toContain('stick store-response res.cook(ORSSESSIONID)');
    expect(config).toContain('option redispatch');
  });

  it('exposes the admin socket when asked, and refuses an empty cluster', () => {
    expect(config).toContain('stats socket /tmp/x/admin.sock');
    expect(() => buildHaproxyConfig({ ...layout, nodes: [] })).toThrow(/at least one node/);
  });

});
