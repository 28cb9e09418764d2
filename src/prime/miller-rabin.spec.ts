import {
  DETERMINISTIC_BOUND,
  isStrongProbablePrime,
  modPow,
  sieve,
  testBelowBound,
  trialDivisionVerdict,
} from './miller-rabin.js';

describe('testBelowBound', () => {
  it('agrees with a sieve on every integer below 100,000', () => {
    const primes = new Set(sieve(100_000));
    const wrong: number[] = [];
    for (let n = 2; n < 100_000; n++) {
      if ((testBelowBound(BigInt(n)).result === 'prime') !== primes.has(n)) {
        wrong.push(n);
      }
    }

    expect(wrong).toEqual([]);
  });

  it.each([
    ['2047', 'strong pseudoprime to base 2'],
    ['1373653', 'strong pseudoprime to bases 2 and 3'],
    ['25326001', 'strong pseudoprime to bases 2, 3 and 5'],
    ['3215031751', 'strong pseudoprime to bases 2, 3, 5 and 7'],
    ['3825123056546413051', 'strong pseudoprime to the first 9 prime bases'],
    ['318665857834031151167461', 'strong pseudoprime to the first 12 prime bases'],
    ['561', 'Carmichael number'],
    ['41041', 'Carmichael number'],
    ['1000000016000000063', 'product of two primes near 10^9'],
  ])('finds %s composite (%s)', (n) => {
    expect(testBelowBound(BigInt(n)).result).toBe('composite');
  });

  it.each([
    '2305843009213693951',
    '9007199254740997',
    '100000000000000000039',
    '18446744073709551557',
  ])('finds %s prime', (n) => {
    expect(testBelowBound(BigInt(n)).result).toBe('prime');
  });

  it('rejects input at or above the bound', () => {
    expect(() => testBelowBound(DETERMINISTIC_BOUND)).toThrow(RangeError);
  });
});

describe('DETERMINISTIC_BOUND', () => {
  it('is a composite that passes all 13 bases, so the bound is tight', () => {
    const bases = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n];

    expect(bases.every((base) => isStrongProbablePrime(DETERMINISTIC_BOUND, base))).toBe(true);
    expect(trialDivisionVerdict(DETERMINISTIC_BOUND)).toBeNull();
  });
});

describe('modPow', () => {
  it('matches repeated multiplication', () => {
    expect(modPow(3n, 13n, 1000n)).toBe(3n ** 13n % 1000n);
    expect(modPow(2n, 0n, 7n)).toBe(1n);
  });
});
