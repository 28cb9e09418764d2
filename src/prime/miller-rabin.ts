import type { PrimalityVerdict } from './primality.js';

/**
 * The smallest strong pseudoprime to all of the first 13 prime bases (2 to 41), the 13th term of
 * OEIS A014233. Below it, Miller-Rabin with those 13 bases is exact; a unit test checks that the
 * bound itself passes all 13 bases.
 */
export const DETERMINISTIC_BOUND = 3_317_044_064_679_887_385_961_981n;

/** The first 13 primes, the Miller-Rabin bases that are exact below DETERMINISTIC_BOUND. */
export const FIXED_BASES: readonly bigint[] = [
  2n,
  3n,
  5n,
  7n,
  11n,
  13n,
  17n,
  19n,
  23n,
  29n,
  31n,
  37n,
  41n,
];

/** Primes below 1000, for trial division before Miller-Rabin. */
export const SMALL_PRIMES: readonly bigint[] = sieve(1000).map(BigInt);

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) {
      result = (result * b) % modulus;
    }
    b = (b * b) % modulus;
    e >>= 1n;
  }

  return result;
}

/** Returns true when `n` is a strong probable prime to `base` (n odd, n > base). */
export function isStrongProbablePrime(n: bigint, base: bigint): boolean {
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }

  let x = modPow(base, d, n);
  if (x === 1n || x === n - 1n) {
    return true;
  }

  for (let i = 1; i < s; i++) {
    x = (x * x) % n;
    if (x === n - 1n) {
      return true;
    }
  }

  return false;
}

/**
 * Returns the verdict of trial division by the primes below 1000 for n >= 2: composite with the
 * smallest factor as witness, prime when no prime up to the square root divides n (which decides
 * every n below 1,000,000), or null when trial division cannot decide.
 */
export function trialDivisionVerdict(n: bigint): PrimalityVerdict | null {
  for (const p of SMALL_PRIMES) {
    if (p * p > n) {
      return { result: 'prime', method: 'trial_division' };
    }
    if (n % p === 0n) {
      return {
        result: 'composite',
        method: 'trial_division',
        witness: { type: 'factor', value: p.toString() },
      };
    }
  }

  return null;
}

/**
 * Decides 2 <= n < DETERMINISTIC_BOUND exactly, with a witness for a composite: trial division
 * by the primes below 1000, then Miller-Rabin with the first 13 primes as bases.
 */
export function testBelowBound(n: bigint): PrimalityVerdict {
  if (n < 2n || n >= DETERMINISTIC_BOUND) {
    throw new RangeError(`n must be in [2, ${DETERMINISTIC_BOUND}), got ${n}`);
  }

  const verdict = trialDivisionVerdict(n);
  if (verdict) {
    return verdict;
  }

  const witness = FIXED_BASES.find((base) => !isStrongProbablePrime(n, base));
  if (witness === undefined) {
    return { result: 'prime', method: 'miller_rabin_fixed_bases' };
  }

  return {
    result: 'composite',
    method: 'miller_rabin_fixed_bases',
    witness: { type: 'miller_rabin_base', value: witness.toString() },
  };
}

/** Returns the primes below `limit`, by the sieve of Eratosthenes. */
export function sieve(limit: number): number[] {
  const composite = new Uint8Array(limit);
  const primes: number[] = [];
  for (let i = 2; i < limit; i++) {
    if (!composite[i]) {
      primes.push(i);
      for (let j = i * i; j < limit; j += i) {
        composite[j] = 1;
      }
    }
  }

  return primes;
}
