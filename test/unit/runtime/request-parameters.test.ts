import { describe, expect, it } from 'vitest';
import type { HttpError } from '../../../runtime/http/http-error.ts';
import { jsonDepthExceeds, mediaType, parseParameters } from '../../../runtime/http/request-parameters.ts';

const body = (s: string) => Buffer.from(s);
const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as HttpError).status;
  }
  return 0;
};

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
    expect(status(() => parseParameters('text/xml', body('<a/>'), ''))).toBe(415);
    expect(status(() => parseParameters('application/json', body('{'), ''))).toBe(400);
    expect(status(() => parseParameters('application/json', body('"s"'), ''))).toBe(400);
    expect(mediaType(' Application/JSON ; charset=utf-8')).toBe('application/json');
  });
});

describe('jsonDepthExceeds', () => {
  it('counts nesting on the bytes, ignoring brackets inside strings and escaped quotes', () => {
    const nested = (n: number) => Buffer.from('{"a":'.repeat(n) + '1' + '}'.repeat(n));
    expect(jsonDepthExceeds(nested(32), 32)).toBe(false);
    expect(jsonDepthExceeds(nested(33), 32)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from('[[[[' + ']]]]'), 3)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ s: '[[[[{{{{\\"[[[[' })), 2)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('{"a":[1,{"b":[]}],"c":{}}'), 4)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('{"a":[1,{"b":[]}],"c":{}}'), 3)).toBe(true);
  });

  it('parseParameters refuses a body nested past max-json-depth with a 400 before parsing it', () => {
    const deep = Buffer.from('{"a":'.repeat(3000) + '1' + '}'.repeat(3000));
    expect(status(() => parseParameters('application/json', deep, '', 32))).toBe(400);
    expect(() => parseParameters('application/json', deep, '', 32)).toThrow(/max-json-depth 32/);
  });
});
