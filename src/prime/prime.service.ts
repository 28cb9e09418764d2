import { checkPrime } from 'node:crypto';
import { promisify } from 'node:util';

import { HttpStatus, Injectable } from '@nestjs/common';
import { LosslessNumber } from 'lossless-json';

import { ApiException } from '../common/api-exception.js';
import { Environment } from '../config/environment.js';
import { IntegerInput } from './check-prime.dto.js';
import { CheckPrimeResponseDto } from './check-prime-response.dto.js';
import { DETERMINISTIC_BOUND, isPrimeDeterministic, trialDivision } from './miller-rabin.js';

const checkPrimeAsync = promisify(checkPrime) as (
  candidate: bigint,
  options: { checks: number },
) => Promise<boolean>;

/**
 * Miller-Rabin rounds with random bases above DETERMINISTIC_BOUND. Each round passes a composite
 * with probability at most 1/4, so 40 rounds err with probability at most 2^-80. OpenSSL raises
 * the count for large inputs on its own.
 */
const RANDOM_ROUNDS = 40;

@Injectable()
export class PrimeService {
  private readonly maxDigits: number;

  constructor(private readonly environment: Environment) {
    this.maxDigits = Math.ceil(environment.PRIME_MAX_BITS * Math.log10(2));
  }

  async check(input: IntegerInput): Promise<CheckPrimeResponseDto> {
    const n = this.toBigInt(input);
    const echo = input.form === 'number' ? new LosslessNumber(input.text) : input.text;

    return { number: echo, isPrime: await isPrime(n) };
  }

  /** Parses the input, rejecting it with 413 before any work when it is over PRIME_MAX_BITS. */
  private toBigInt(input: IntegerInput): bigint {
    const digits = input.text.replace(/^-/, '').replace(/^0+(?=\d)/, '');
    const n = digits.length <= this.maxDigits ? BigInt(input.text) : null;
    const magnitude = n !== null && n < 0n ? -n : n;
    if (magnitude === null || magnitude.toString(2).length > this.environment.PRIME_MAX_BITS) {
      throw new ApiException(
        HttpStatus.PAYLOAD_TOO_LARGE,
        `number is too large: its absolute value may have at most ${this.environment.PRIME_MAX_BITS} bits ` +
          `(${this.maxDigits} decimal digits at most), got ${digits.length} digits.`,
        { field: 'number' },
      );
    }

    return n as bigint;
  }
}

/**
 * Exact below DETERMINISTIC_BOUND (trial division, then Miller-Rabin with 13 fixed bases, on the
 * event loop because it takes microseconds). Above it, OpenSSL's Miller-Rabin with random bases
 * runs on the libuv thread pool, so a large input does not block other requests.
 */
export async function isPrime(n: bigint): Promise<boolean> {
  if (n < DETERMINISTIC_BOUND) {
    return n < 2n ? false : isPrimeDeterministic(n);
  }

  const verdict = trialDivision(n);
  if (verdict !== null) {
    return verdict;
  }

  return checkPrimeAsync(n, { checks: RANDOM_ROUNDS });
}
