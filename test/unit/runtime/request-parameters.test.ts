import { describe, expect, it } from 'vitest';
import type { HttpError } from '../../../runtime/http/http-error.ts';
import { mediaType, parseParameters } from '../../../runtime/http/request-parameters.ts';
import { matchSessionPath } from '../../../runtime/http/session-path.ts';

const body = (s: string) => Buffer.from(s);

describe('parseParameters', () => {
  it('merges query and body; body wins; repeated form keys become arrays', () => {
    expect(parseParameters('application/x-www-form-urlencoded', body('a=2&b=x&b=y'), 'a=1&c=3')).toEqual({
      a: ['1', '2'],
      b: ['x', 'y'],
      c: '3',
    });
    expect(parseParameters('application/json; charset=utf-8', body('{"a":{"n":1}}'), 'a=1')).toEqual({ a: { n: 1 } });
    expect(parseParameters(undefined, body(''), 'x=1')).toEqual({ x: '1' });
  });

  it('never lets input change a prototype', () => {
    const fromJson = parseParameters('application/json', body('{"__proto__":{"src":"/etc/passwd"}}'), '');
    expect(Object.getPrototypeOf(fromJson)).toBe(Object.prototype);
    expect(Object.hasOwn(fromJson, '__proto__')).toBe(true);
    const { src } = fromJson as { src?: string };
    expect(src).toBeUndefined();
    const fromForm = parseParameters('application/x-www-form-urlencoded', body('__proto__=x'), '');
    expect(Object.getPrototypeOf(fromForm)).toBe(Object.prototype);
  });

  it('refuses other media types (415) and malformed JSON (400)', () => {
    const status = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as HttpError).status;
      }
      return 0;
    };
    expect(status(() => parseParameters('text/xml', body('<a/>'), ''))).toBe(415);
    expect(status(() => parseParameters('application/json', body('{'), ''))).toBe(400);
    expect(status(() => parseParameters('application/json', body('"s"'), ''))).toBe(400);
    expect(mediaType(' Application/JSON ; charset=utf-8')).toBe('application/json');
  });
});

describe('matchSessionPath', () => {
  it('parses every session route and nothing else', () => {
    expect(matchSessionPath('/scxml/session/n.abc/event/call.answered?x=1')).toEqual({
      route: 'event',
      sessionId: 'n.abc',
      name: 'call.answered',
      query: 'x=1',
    });
    expect(matchSessionPath('/scxml/session/n.abc/request/where')?.route).toBe('request');
    expect(matchSessionPath('/scxml/session/n.abc/query')?.route).toBe('query');
    expect(matchSessionPath('/scxml/session/n.abc/terminate')?.route).toBe('terminate');
    expect(matchSessionPath('/scxml/session/n.abc/event/a%20b')?.name).toBe('a b');
    expect(matchSessionPath('/scxml/session/start')).toBeUndefined();
    expect(matchSessionPath('/scxml/session/n.abc/event/')).toBeUndefined();
    expect(matchSessionPath('/scxml/session/n.abc/query/extra')).toBeUndefined();
    expect(() => matchSessionPath('/scxml/session/n.abc/event/%E0%A4%A')).toThrow(/percent-encoding/);
  });
});
