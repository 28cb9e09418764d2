import { generateApiKey, MAX_API_KEY_LENGTH, parseApiKey, randomBase62 } from './api-key-format.js';

describe('generateApiKey', () => {
  it('starts with the Unix time of issue and parses back into its parts', () => {
    const now = new Date('2026-12-04T20:00:00.000Z');
    const generated = generateApiKey(now);

    expect(generated.key.startsWith(`${now.getTime() / 1000}_`)).toBe(true);
    expect(parseApiKey(generated.key)).toEqual({
      issuedAt: now.getTime() / 1000,
      id: generated.id,
      secret: generated.secret,
    });
  });

  it('stays under the 72-byte bcrypt input limit and uses header-safe characters', () => {
    const { key } = generateApiKey(new Date());

    expect(Buffer.byteLength(key)).toBe(MAX_API_KEY_LENGTH);
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

describe('parseApiKey', () => {
  const valid = '1796416286_FGn9Al5CURGK_ApTzQuNobosQLtVImoLBgQ';

  it.each([
    ['empty', ''],
    ['too long', `${valid}x`],
    ['too short', valid.slice(1)],
    ['wrong separator', valid.replace('_', '-')],
    ['non-base62 secret', `${valid.slice(0, -1)}!`],
    ['very long', 'x'.repeat(100_000)],
  ])('returns null for a %s key', (_label, presented) => {
    expect(parseApiKey(presented)).toBeNull();
  });
});
