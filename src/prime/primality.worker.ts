import { init } from 'gmp-wasm';

import { GmpPrimality } from './gmp-primality.js';
import type { PrimalityVerdict } from './primality.js';

// Each worker thread loads its own GMP instance once (about 50 ms), when the pool starts it.
const primality = new GmpPrimality((await init()).binding);

// A fresh thread runs its first few dozen tests noticeably slower (about 10 ms instead of 6 ms at
// 1024 bits, measured while writing bench/prime.ts) until V8 has optimized the code. Warm it up
// before the pool hands it a request: 48 tests of the Mersenne prime 2^607-1 take about 70 ms.
const WARM_UP_PRIME = 2n ** 607n - 1n;
for (let i = 0; i < 48; i++) {
  primality.test(WARM_UP_PRIME);
}

/** Piscina task: tests n, given in hexadecimal so the thread boundary carries no bigint. */
export default function testPrimality(hex: string): PrimalityVerdict {
  return primality.test(BigInt(`0x${hex}`));
}
