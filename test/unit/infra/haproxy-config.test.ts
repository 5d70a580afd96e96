import { describe, expect, it } from 'vitest';
import { haproxyConfig, parseShowStat } from '../../infra/haproxy-config.ts';

describe('haproxyConfig', () => {
  it('puts the runtime API socket in global and the caller sections last', () => {
    const config = haproxyConfig({ adminSocket: '/d/admin.sock', sections: '\nfrontend web\n  bind 127.0.0.1:1\n' });
    expect(config).toMatch(/^global\n/);
    expect(config).toContain('stats socket /d/admin.sock mode 600 level admin');
    expect(config.indexOf('defaults')).toBeLessThan(config.indexOf('frontend web'));
    expect(config.endsWith('bind 127.0.0.1:1\n')).toBe(true);
  });
});

describe('parseShowStat', () => {
  it('returns the server rows with their status', () => {
    const csv = [
      '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight',
      'web,FRONTEND,,,0,1,262124,3,0,0,0,0,0,,,,,OPEN,',
      'app,a,0,0,0,1,,2,0,0,,0,,0,0,0,0,UP,1',
      'app,b,0,0,0,1,,1,0,0,,0,,0,0,0,0,DOWN,1',
      'app,BACKEND,0,0,0,1,26213,3,0,0,0,0,,0,0,0,0,UP,2',
      '',
    ].join('\n');
    expect(parseShowStat(csv)).toEqual([
      { backend: 'app', server: 'a', status: 'UP' },
      { backend: 'app', server: 'b', status: 'DOWN' },
    ]);
  });

  it('rejects an answer that is not show stat CSV', () => {
    expect(() => parseShowStat('Unknown command\n')).toThrow('unexpected show stat answer');
  });
});
