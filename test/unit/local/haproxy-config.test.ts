import { describe, expect, it } from 'vitest';
import { buildHaproxyConfig, sessionRoutingLines } from '../../../runtime/local/haproxy-config.ts';
import { newSessionId } from '../../../runtime/sessions/session-id.ts';

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
    expect(front).toContain('acl is_node_0 path_reg ^/scxml/session/([a-z2-7]{20}\\.node-0|node-0\\.[a-z2-7]{20})(/|$)');
    expect(front).toContain('use_backend node-node-1 if is_node_1');
    expect(front).toContain('use_backend node-node-1 if !names_session cookie_node_1');
    expect(front).toContain('default_backend primaries');
    // Path rules come before cookie rules: a path naming a session wins over the cookie.
    expect(front.lastIndexOf('if is_node_')).toBeLessThan(front.indexOf('cookie_node_0\n'));
  });

  it("matches exactly one node's ids, current and previous format, in path and cookie", () => {
    const lines = sessionRoutingLines(['node-1', 'node-10'], (id) => `be-${id}`);
    const regexOf = (acl: string) => new RegExp(lines.find((l) => l.includes(` ${acl} `))!.split(/ (?:path_reg|-m reg) /)[1]!);
    const path1 = regexOf('is_node_1');
    const cookie1 = regexOf('cookie_node_1');
    const id = newSessionId('node-1', true);
    expect(path1.test(`/scxml/session/${id}/event/go`)).toBe(true);
    expect(path1.test(`/scxml/session/${id}`)).toBe(true);
    expect(path1.test('/scxml/session/node-1.abcdefghijklmnopqrst/query')).toBe(true);
    expect(path1.test(`/scxml/session/${newSessionId('node-10', true)}/query`)).toBe(false);
    expect(path1.test('/scxml/session/node-10.abcdefghijklmnopqrst/query')).toBe(false);
    expect(path1.test(`/scxml/session/${id}x/query`)).toBe(false);
    expect(path1.test(`/other/scxml/session/${id}/query`)).toBe(false);
    expect(cookie1.test(id)).toBe(true);
    expect(cookie1.test(`${id}0`)).toBe(false);
    expect(cookie1.test(newSessionId('node-10', true))).toBe(false);
    expect(regexOf('names_session').test(`/scxml/session/${id}/query`)).toBe(true);
    expect(regexOf('names_session').test('/scxml/session/start')).toBe(false);
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


  it("answers its own 502/503/504 in the runtime's JSON error shape with Retry-After, not an HTML page", () => {
    const defaults = section(config, 'defaults');
    for (const status of [502, 503, 504]) {
      const line = defaults.split('\n').find((l) => l.includes(`http-error status ${status} `));
      expect(line, `no http-error line for ${status}`).toBeDefined();
      expect(line).toContain('content-type application/json hdr retry-after 1 string ');
      const body = JSON.parse(line!.slice(line!.indexOf(" string '") + 9, -1)) as { error: string; message: string };
      expect(body.error).toMatch(/^[a-z-]+$/);
      expect(body.message).not.toContain("'");
    }
  });
});
