import { randomBytes } from 'node:crypto';

import type { GMPFunctions } from 'gmp-wasm';

import { DETERMINISTIC_BOUND, FIXED_BASES } from './miller-rabin.js';
import type { PrimalityVerdict } from './primality.js';

/** Random bases tried to find a witness for a composite that passed the 13 fixed bases. */
const RANDOM_WITNESS_ATTEMPTS = 64;

/**
 * Returns a base drawn uniformly from [2, n - 2] with `crypto.randomBytes`. Taking 64 more random
 * bits than n has and reducing them modulo n - 3 leaves a bias below 2^-64.
 */
export function cryptoRandomBase(n: bigint): bigint {
  const bytes = randomBytes(Math.ceil(n.toString(16).length / 2) + 8);

  return (BigInt(`0x${bytes.toString('hex')}`) % (n - 3n)) + 2n;
}

/**
 * Primality above DETERMINISTIC_BOUND with GMP compiled to WebAssembly (gmp-wasm, GMP 6.3).
 * `mpz_probab_prime_p(n, 24)` runs trial division and a Baillie-PSW test, which is a strong
 * base-2 Miller-Rabin test and a strong Lucas test. GMP 6.3 replaces its first 24 Miller-Rabin
 * rounds with that test (mpz/millerrabin.c), so 24 runs no further round. One Miller-Rabin round
 * with a base from `crypto.randomBytes` follows, so no input crafted against fixed bases passes.
 * No composite is known to pass Baillie-PSW. For a composite, a Miller-Rabin search returns a
 * witness base.
 */
export class GmpPrimality {
  constructor(
    private readonly gmp: GMPFunctions,
    private readonly randomBase: (n: bigint) => bigint = cryptoRandomBase,
  ) {}

  /** Tests an odd n of at least DETERMINISTIC_BOUND that has no prime factor below 1000. */
  test(n: bigint): PrimalityVerdict {
    if (n < DETERMINISTIC_BOUND || (n & 1n) === 0n) {
      throw new RangeError('n must be odd and at least DETERMINISTIC_BOUND');
    }

    const round = new MillerRabinRound(this.gmp, n);
    try {
      if (this.gmp.mpz_probab_prime_p(round.n, 24) > 0) {
        const base = this.randomBase(n);
        return round.isStrongProbablePrime(base)
          ? { result: 'probable_prime', method: 'baillie_psw_random_miller_rabin' }
          : compositeWith(base);
      }

      for (const base of FIXED_BASES) {
        if (!round.isStrongProbablePrime(base)) {
          return compositeWith(base);
        }
      }
      for (let attempt = 0; attempt < RANDOM_WITNESS_ATTEMPTS; attempt++) {
        const base = this.randomBase(n);
        if (!round.isStrongProbablePrime(base)) {
          return compositeWith(base);
        }
      }

      // NOTE: reached only if 77 bases in a row are strong liars, which at most a quarter of all
      // bases are for any composite: a probability below 4^-77.
      return { result: 'composite', method: 'baillie_psw_random_miller_rabin' };
    } finally {
      round.free();
    }
  }
}

function compositeWith(base: bigint): PrimalityVerdict {
  return {
    result: 'composite',
    method: 'baillie_psw_random_miller_rabin',
    witness: { type: 'miller_rabin_base', value: base.toString() },
  };
}

/** GMP integers for Miller-Rabin rounds on one n, with n - 1 = d * 2^s and d odd. */
class MillerRabinRound {
  readonly n: number;
  private readonly nMinusOne: number;
  private readonly d: number;
  private readonly x: number;
  private readonly base: number;
  private readonly s: number;

  constructor(
    private readonly gmp: GMPFunctions,
    n: bigint,
  ) {
    [this.n, this.nMinusOne, this.d, this.x, this.base] = Array.from({ length: 5 }, () => {
      const pointer = gmp.mpz_t();
      gmp.mpz_init(pointer);
      return pointer;
    });
    gmp.mpz_set_string(this.n, n.toString(16), 16);
    gmp.mpz_sub_ui(this.nMinusOne, this.n, 1);
    this.s = gmp.mpz_scan1(this.nMinusOne, 0);
    gmp.mpz_tdiv_q_2exp(this.d, this.nMinusOne, this.s);
  }

  /** Returns true when n is a strong probable prime to `base`, false when `base` proves n composite. */
  isStrongProbablePrime(base: bigint): boolean {
    const { gmp } = this;
    gmp.mpz_set_string(this.base, base.toString(16), 16);
    gmp.mpz_powm(this.x, this.base, this.d, this.n);
    if (gmp.mpz_cmp_ui(this.x, 1) === 0 || gmp.mpz_cmp(this.x, this.nMinusOne) === 0) {
      return true;
    }

    for (let i = 1; i < this.s; i++) {
      gmp.mpz_powm_ui(this.x, this.x, 2, this.n);
      if (gmp.mpz_cmp(this.x, this.nMinusOne) === 0) {
        return true;
      }
      if (gmp.mpz_cmp_ui(this.x, 1) === 0) {
        return false;
      }
    }

    return false;
  }

  free(): void {
    for (const pointer of [this.n, this.nMinusOne, this.d, this.x, this.base]) {
      this.gmp.mpz_clear(pointer);
      this.gmp.mpz_t_free(pointer);
    }
  }
}
