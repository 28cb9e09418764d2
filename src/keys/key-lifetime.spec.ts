import { ApiException } from '../common/api-exception.js';
import { LATEST_EXPIRY_MS, parseDuration, parseExpiry, parseGrace } from './key-lifetime.js';

const NOW_MS = Date.parse('2026-12-04T12:00:00.000Z');

/** Runs `parse` and returns the message of the ApiException it throws. */
function rejection(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiException);
    return (error as ApiException).message;
  }

  throw new Error('expected an ApiException');
}

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2w', 1_209_600_000],
  ])('parses %s', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it.each([['0.5ms'], ['1.25ms']])('rounds %s up to whole milliseconds', (text) => {
    const duration = parseDuration(text);

    expect(Number.isInteger(duration)).toBe(true);
    expect(duration).toBeGreaterThan(0);
  });

  it.each([['soon'], ['0s'], ['8001y'], ['99999999999999999999d']])(
    'returns null for %s',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );
});

describe('parseExpiry', () => {
  it('returns whole milliseconds for a fractional duration', () => {
    expect(parseExpiry('0.5ms', NOW_MS)).toBe(NOW_MS + 1);
  });

  it('accepts the last millisecond of 9999', () => {
    expect(parseExpiry('9999-12-31T23:59:59.999Z', NOW_MS)).toBe(LATEST_EXPIRY_MS);
  });

  it.each([['99999999999999999999d'], ['8000y'], ['9999-12-31T23:00:00-01:00']])(
    'rejects %s as later than 9999',
    (text) => {
      expect(rejection(() => parseExpiry(text, NOW_MS))).toBe(
        `expires must be no later than 9999-12-31T23:59:59.999Z, got "${text}"`,
      );
    },
  );

  it('names the CLI option in the message', () => {
    expect(rejection(() => parseExpiry('soon', NOW_MS, '--expires'))).toMatch(
      /^--expires must be a duration/,
    );
  });
});

describe('parseGrace', () => {
  it('returns whole milliseconds for a fractional duration', () => {
    expect(parseGrace('1.5ms')).toBe(2);
  });

  it('accepts 8000 years', () => {
    expect(parseGrace('8000y')).toBeGreaterThan(0);
  });

  it('rejects a grace longer than 8000 years', () => {
    expect(rejection(() => parseGrace('99999999999999999999d'))).toBe(
      'grace must be at most 8000y, got "99999999999999999999d"',
    );
  });

  it('rejects text that is not a duration', () => {
    expect(rejection(() => parseGrace('later'))).toBe(
      'grace must be a duration such as 10m, 1h or 7d, got "later"',
    );
  });
});
