import {
  API_KEY_LENGTH,
  checksum,
  generateApiKey,
  parseApiKey,
  randomBase62,
} from './api-key-format.js';

describe('generateApiKey', () => {
  it('round-trips through parseApiKey', () => {
    const now = new Date('2026-12-04T20:00:00.000Z');
    const generated = generateApiKey(now);

    expect(
      generated.key.startsWith(`pt_${now.getTime() / 1000}_${generated.id}_${generated.secret}`),
    ).toBe(true);
    expect(parseApiKey(generated.key)).toEqual({
      issuedAt: now.getTime() / 1000,
      id: generated.id,
      secret: generated.secret,
    });
  });

  it('stays under the 72-byte bcrypt input limit and uses header-safe characters', () => {
    const { key } = generateApiKey(new Date());

    expect(Buffer.byteLength(key)).toBe(API_KEY_LENGTH);
    expect(Buffer.byteLength(key)).toBeLessThan(72);
    expect(key).toMatch(/^[0-9A-Za-z_]+$/);
  });

  it('makes distinct ids and secrets', () => {
    const keys = Array.from({ length: 1000 }, () => generateApiKey(new Date()));

    expect(new Set(keys.map((key) => key.id)).size).toBe(1000);
    expect(new Set(keys.map((key) => key.secret)).size).toBe(1000);
  });
});

describe('randomBase62', () => {
  it('skips bytes of 248 and above, which would bias the alphabet', () => {
    const bytes = (size: number): Buffer => Buffer.alloc(size, 0).fill(255, 0, 1);

    expect(randomBase62(3, bytes)).toBe('000');
  });

  it('draws every character about equally often', () => {
    const counts = new Map<string, number>();
    for (const character of randomBase62(62_000)) {
      counts.set(character, (counts.get(character) ?? 0) + 1);
    }

    expect(counts.size).toBe(62);
    expect(Math.min(...counts.values())).toBeGreaterThan(800);
    expect(Math.max(...counts.values())).toBeLessThan(1200);
  });
});

describe('checksum', () => {
  it('encodes the CRC32 as 6 base62 digits', () => {
    // zlib.crc32("hello") is 907060870.
    const digits = checksum('hello');
    const value = [...digits].reduce((total, digit) => total * 62 + BASE62.indexOf(digit), 0);

    expect(digits).toHaveLength(6);
    expect(value).toBe(907060870);
  });
});

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('parseApiKey', () => {
  const valid = generateApiKey(new Date('2026-12-04T20:00:00.000Z')).key;

  it('accepts a generated key', () => {
    expect(parseApiKey(valid)).not.toBeNull();
  });

  it('rejects a key with one character changed', () => {
    const position = 20;
    const changed = valid[position] === 'A' ? 'B' : 'A';

    expect(
      parseApiKey(`${valid.slice(0, position)}${changed}${valid.slice(position + 1)}`),
    ).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['too long', `${valid}x`],
    ['too short', valid.slice(1)],
    ['wrong separator', valid.replace('_', '-')],
    ['missing prefix', valid.slice(3)],
    ['wrong checksum', `${valid.slice(0, -1)}${valid.endsWith('0') ? '1' : '0'}`],
    ['valid key with bytes after it', `${valid}${'x'.repeat(20)}`],
    ['non-base62 secret', `${valid.slice(0, -1)}!`],
    ['very long', 'x'.repeat(100_000)],
  ])('returns null for a %s key', (_label, presented) => {
    expect(parseApiKey(presented)).toBeNull();
  });
});
