import { init } from 'gmp-wasm';

import { GmpPrimality } from './gmp-primality.js';
import type { PrimalityVerdict } from './primality.js';

// Each worker thread loads its own GMP instance once (about 50 ms), when the pool starts it.
const primality = new GmpPrimality((await init()).binding);

/** Piscina task: tests n, given in hexadecimal so the thread boundary carries no bigint. */
export default function testPrimality(hex: string): PrimalityVerdict {
  return primality.test(BigInt(`0x${hex}`));
}
