import bcrypt from 'bcrypt';

import { Environment } from '../config/environment.js';
import { KeyHasher } from './key-hasher.js';
import { VerificationCache } from './verification-cache.js';

/** A KeyHasher that runs real bcrypt (at the lowest cost, for speed) and counts compares. */
class CountingHasher extends KeyHasher {
  compares = 0;

  constructor() {
    super(new Environment());
  }

  override hash(key: string): Promise<string> {
    return bcrypt.hash(key, 4);
  }

  override compare(key: string, hash: string): Promise<boolean> {
    this.compares++;
    return super.compare(key, hash);
  }
}

function createCache(settings: Partial<Environment> = {}): {
  sut: VerificationCache;
  hasher: CountingHasher;
} {
  const hasher = new CountingHasher();
  const environment = Object.assign(new Environment(), settings);

  return { sut: new VerificationCache(hasher, environment), hasher };
}

describe(VerificationCache.name, () => {
  const key = '1796416286_FGn9Al5CURGK_ApTzQuNobosQLtVImoLBgQ';

  it('calls bcrypt zero times for a key that matched before', async () => {
    const { sut, hasher } = createCache();
    const hash = await hasher.hash(key);
    await sut.compare(key, hash);
    hasher.compares = 0;

    await expect(sut.compare(key, hash)).resolves.toBe(true);
    await expect(sut.compare(key, hash)).resolves.toBe(true);
    expect(hasher.compares).toBe(0);
  });

  it('shares one bcrypt call among concurrent first requests', async () => {
    const { sut, hasher } = createCache();
    const hash = await hasher.hash(key);

    const results = await Promise.all(Array.from({ length: 10 }, () => sut.compare(key, hash)));

    expect(results).toEqual(Array(10).fill(true));
    expect(hasher.compares).toBe(1);
  });

  it('does not cache a failed match', async () => {
    const { sut, hasher } = createCache();
    const hash = await hasher.hash(key);
    const wrong = `${key.slice(0, -1)}x`;

    await expect(sut.compare(wrong, hash)).resolves.toBe(false);
    await expect(sut.compare(wrong, hash)).resolves.toBe(false);
    expect(hasher.compares).toBe(2);
  });

  it('verifies again when the stored hash changed', async () => {
    const { sut, hasher } = createCache();
    await sut.compare(key, await hasher.hash(key));
    const otherHash = await hasher.hash('another key');

    await expect(sut.compare(key, otherHash)).resolves.toBe(false);
    expect(hasher.compares).toBe(2);
  });

  it('calls bcrypt every time when the TTL is 0', async () => {
    const { sut, hasher } = createCache({ KEY_CACHE_TTL_SECONDS: 0 });
    const hash = await hasher.hash(key);

    await sut.compare(key, hash);
    await sut.compare(key, hash);

    expect(hasher.compares).toBe(2);
  });

  it('keeps at most KEY_CACHE_MAX_ENTRIES matches', async () => {
    const { sut, hasher } = createCache({ KEY_CACHE_MAX_ENTRIES: 1 });
    const first = await hasher.hash(key);
    const otherKey = `${key.slice(0, -1)}x`;
    const second = await hasher.hash(otherKey);
    await sut.compare(key, first);
    await sut.compare(otherKey, second);
    hasher.compares = 0;

    await sut.compare(key, first);

    expect(hasher.compares).toBe(1);
  });
});
