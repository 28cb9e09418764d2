import { isLosslessNumber } from 'lossless-json';

import { InvalidJsonBody, parseJsonBody, serializeJson } from './json-body.js';

describe('parseJsonBody', () => {
  it('keeps every digit of a big integer', () => {
    const body = parseJsonBody('{"number": 172983479832623897492387592384682937659382477}') as {
      number: unknown;
    };

    expect(isLosslessNumber(body.number)).toBe(true);
    expect(String(body.number)).toBe('172983479832623897492387592384682937659382477');
  });

  it('returns safe integers as plain numbers', () => {
    expect(parseJsonBody('{"a": 7, "b": -9007199254740991}')).toEqual({
      a: 7,
      b: -9007199254740991,
    });
  });

  it.each(['7.5', '1e3', '-0', '9007199254740993'])('keeps the source text of %s', (text) => {
    const body = parseJsonBody(`{"n": ${text}}`) as { n: unknown };

    expect(isLosslessNumber(body.n)).toBe(true);
    expect(String(body.n)).toBe(text);
  });

  it.each(['', '  \n'])('returns undefined for a blank body', (text) => {
    expect(parseJsonBody(text)).toBeUndefined();
  });

  it('marks malformed JSON instead of throwing', () => {
    expect(parseJsonBody('{"number": ')).toBeInstanceOf(InvalidJsonBody);
  });

  it('does not let __proto__ change the prototype', () => {
    const body = parseJsonBody('{"__proto__": {"polluted": true}}') as Record<string, unknown>;

    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('serializeJson', () => {
  it('writes parsed big numbers back as bare numbers', () => {
    const text = '{"number":172983479832623897492387592384682937659382477,"isPrime":false}';

    expect(serializeJson(parseJsonBody(text))).toBe(text);
  });

  it('writes bigint values as bare numbers', () => {
    expect(serializeJson({ n: 2n ** 64n })).toBe('{"n":18446744073709551616}');
  });
});
