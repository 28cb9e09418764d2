import { checkPrimeSync } from 'node:crypto';

import { LARGE_PRIMES } from '../../bench/large-primes.js';
import { Environment } from '../config/environment.js';
import { FIXED_BASES, isStrongProbablePrime, sieve } from './miller-rabin.js';
import type { PrimalityVerdict } from './primality.js';
import { PrimeService } from './prime.service.js';

/** OEIS A014233: the smallest strong pseudoprime to all of the first k prime bases, for k = 1..13. */
const A014233 = [
  2047n,
  1373653n,
  25326001n,
  3215031751n,
  2152302898747n,
  3474749660383n,
  341550071728321n,
  341550071728321n,
  3825123056546413051n,
  3825123056546413051n,
  3825123056546413051n,
  318665857834031151167461n,
  3317044064679887385961981n,
];

const CARMICHAEL = [561n, 1105n, 1729n, 2465n, 2821n, 6601n, 8911n, 41041n, 825265n, 321197185n];

/** Returns a Chernick Carmichael number (6k+1)(12k+1)(18k+1) above 2^100, all three factors prime. */
function largeCarmichael(): bigint {
  for (let k = 2n ** 33n; ; k++) {
    const factors = [6n * k + 1n, 12n * k + 1n, 18n * k + 1n];
    if (factors.every((factor) => checkPrimeSync(factor))) {
      return factors.reduce((product, factor) => product * factor, 1n);
    }
  }
}

/** Fails the test unless the witness proves n composite. */
function expectValidWitness(n: bigint, verdict: PrimalityVerdict): void {
  expect(verdict.result).toBe('composite');
  expect(verdict.witness).toBeDefined();
  const value = BigInt(verdict.witness!.value);
  if (verdict.witness!.type === 'factor') {
    expect(value > 1n).toBe(true);
    expect(value < n).toBe(true);
    expect(n % value).toBe(0n);
  } else {
    expect(value >= 2n).toBe(true);
    expect(value <= n - 2n).toBe(true);
    expect(isStrongProbablePrime(n, value)).toBe(false);
  }
}

describe('primality verdicts', () => {
  let sut: PrimeService;

  beforeAll(async () => {
    sut = new PrimeService(Object.assign(new Environment(), { PRIME_WORKERS: 2 }));
    await sut.onModuleInit();
  });

  afterAll(async () => {
    await sut.onModuleDestroy();
  });

  it('agrees with a sieve on every integer below 100,000', async () => {
    const primes = new Set(sieve(100_000));
    const wrong: number[] = [];
    for (let n = 2; n < 100_000; n++) {
      const verdict = await sut.classify(BigInt(n));
      if ((verdict.result === 'prime') !== primes.has(n)) {
        wrong.push(n);
      }
      if (verdict.result === 'composite') {
        expectValidWitness(BigInt(n), verdict);
      }
    }

    expect(wrong).toEqual([]);
  });

  describe.each(A014233.map((term, index) => [index + 1, term] as const))(
    'strong pseudoprime to the first %i prime bases, %s',
    (k, term) => {
      it('passes those bases, as the sequence states', () => {
        expect(FIXED_BASES.slice(0, k).every((base) => isStrongProbablePrime(term, base))).toBe(
          true,
        );
      });

      it('is found composite with a valid witness', async () => {
        expectValidWitness(term, await sut.classify(term));
      });

      it.each([-2n, -1n, 1n, 2n])(
        'gets the same verdict as OpenSSL at offset %s',
        async (offset) => {
          const neighbour = term + offset;
          const verdict = await sut.classify(neighbour);

          expect(verdict.result === 'prime' || verdict.result === 'probable_prime').toBe(
            checkPrimeSync(neighbour),
          );
          if (verdict.result === 'composite') {
            expectValidWitness(neighbour, verdict);
          }
        },
      );
    },
  );

  it.each(CARMICHAEL)('finds the Carmichael number %s composite', async (n) => {
    expectValidWitness(n, await sut.classify(n));
  });

  it('finds a Carmichael number above 2^100 composite', async () => {
    const n = largeCarmichael();

    expect(n > 2n ** 100n).toBe(true);
    expectValidWitness(n, await sut.classify(n));
  });

  describe('products of large primes', () => {
    const primes = [
      2n ** 89n - 1n,
      2n ** 127n - 1n,
      LARGE_PRIMES[512],
      LARGE_PRIMES[1024],
      LARGE_PRIMES[2048],
    ];

    it.each(primes.map((p) => [p.toString(2).length, p]))(
      'finds the square of a %i-bit prime composite',
      async (_bits, p) => {
        expectValidWitness(p * p, await sut.classify(p * p));
      },
    );

    it.each(primes.slice(1).map((q, index) => [primes[index], q]))(
      'finds %s times the next prime composite',
      async (p, q) => {
        expectValidWitness(p * q, await sut.classify(p * q));
      },
    );
  });

  describe('Mersenne numbers', () => {
    it.each([61, 89, 107, 127, 521, 607, 1279, 2203, 2281, 3217])(
      'finds 2^%i-1 prime',
      async (p) => {
        const verdict = await sut.classify(2n ** BigInt(p) - 1n);

        expect(verdict.result).toBe(p <= 61 ? 'prime' : 'probable_prime');
        expect(verdict.witness).toBeUndefined();
      },
    );

    it.each([67, 257, 1009])('finds 2^%i-1 composite with a valid witness', async (p) => {
      const n = 2n ** BigInt(p) - 1n;

      expectValidWitness(n, await sut.classify(n));
    });
  });

  it.each(Object.entries(LARGE_PRIMES))(
    'finds the %s-bit test prime probably prime',
    async (_bits, p) => {
      await expect(sut.classify(p)).resolves.toEqual({
        result: 'probable_prime',
        method: 'baillie_psw_random_miller_rabin',
      });
    },
  );

  it('finds a product of primes above 1000 composite', async () => {
    const n = 1009n * 1013n * (2n ** 89n - 1n);

    expectValidWitness(n, await sut.classify(n));
  });
});
