import { checkPrime } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { HttpStatus, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { init } from 'gmp-wasm';
import { LosslessNumber } from 'lossless-json';
import { Piscina } from 'piscina';

import { ApiException } from '../common/api-exception.js';
import { Environment } from '../config/environment.js';
import { IntegerInput } from './check-prime.dto.js';
import { CheckPrimeResponseDto } from './check-prime-response.dto.js';
import { GmpPrimality } from './gmp-primality.js';
import { DETERMINISTIC_BOUND, testBelowBound, trialDivisionVerdict } from './miller-rabin.js';
import { PrimalityVerdict } from './primality.js';

const checkPrimeAsync = promisify(checkPrime) as (
  candidate: bigint,
  options: { checks: number },
) => Promise<boolean>;

/**
 * Inputs up to this many bits run GMP on the event loop: at 512 bits a test takes under 1 ms on
 * the machine in BENCHMARKS.md, less than handing it to a worker thread costs. Larger inputs
 * (over 5 ms at 1024 bits) run on worker threads.
 */
export const MAIN_THREAD_MAX_BITS = 512;

/** Tasks that may wait per worker thread before new ones get 503. */
const QUEUE_PER_WORKER = 64;

/**
 * Decides primality by input size:
 * - below 2: neither prime nor composite;
 * - below DETERMINISTIC_BOUND (about 2^81.5): trial division, then Miller-Rabin with 13 fixed
 *   bases, with BigInt on the event loop. The verdict is proven;
 * - above: trial division, then Baillie-PSW and one Miller-Rabin round with a random base in
 *   GMP, on the event loop up to MAIN_THREAD_MAX_BITS and on a worker thread above it. The
 *   verdict is a probable prime or a proven composite.
 */
@Injectable()
export class PrimeService implements OnModuleInit, OnModuleDestroy {
  private readonly maxDigits: number;
  private gmp!: GmpPrimality;
  private pool!: Piscina;

  constructor(private readonly environment: Environment) {
    this.maxDigits = Math.ceil(environment.PRIME_MAX_BITS * Math.log10(2));
  }

  async onModuleInit(): Promise<void> {
    this.gmp = new GmpPrimality((await init()).binding);
    const workers = this.environment.PRIME_WORKERS || availableParallelism();
    this.pool = new Piscina({
      filename: workerFile(),
      minThreads: workers,
      maxThreads: workers,
      maxQueue: workers * QUEUE_PER_WORKER,
      idleTimeout: Number.MAX_SAFE_INTEGER,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.destroy();
  }

  async check(input: IntegerInput): Promise<CheckPrimeResponseDto> {
    const n = this.toBigInt(input);
    const magnitude = n < 0n ? -n : n;
    const verdict = await this.classify(n);

    return {
      number: input.form === 'number' ? new LosslessNumber(input.text) : input.text,
      isPrime: verdict.result === 'prime' || verdict.result === 'probable_prime',
      result: verdict.result,
      method: verdict.method,
      ...(verdict.witness ? { witness: verdict.witness } : {}),
      bits: magnitude === 0n ? 0 : magnitude.toString(2).length,
      digits: magnitude.toString().length,
    };
  }

  async classify(n: bigint): Promise<PrimalityVerdict> {
    if (n < 2n) {
      return { result: 'neither', method: 'definition' };
    }

    if (n < DETERMINISTIC_BOUND) {
      return testBelowBound(n);
    }

    // n is at least DETERMINISTIC_BOUND, so trial division either finds a factor or cannot decide.
    const trialDivision = trialDivisionVerdict(n);
    if (trialDivision) {
      return trialDivision;
    }

    if (this.environment.PRIME_ENGINE === 'openssl' && (await checkPrimeAsync(n, { checks: 40 }))) {
      return { result: 'probable_prime', method: 'openssl_miller_rabin' };
    }

    return n.toString(2).length <= MAIN_THREAD_MAX_BITS ? this.gmp.test(n) : this.testOnWorker(n);
  }

  private async testOnWorker(n: bigint): Promise<PrimalityVerdict> {
    const timeoutMs = this.environment.PRIME_TIMEOUT_MS;
    try {
      return (await this.pool.run(n.toString(16), {
        signal: AbortSignal.timeout(timeoutMs),
      })) as PrimalityVerdict;
    } catch (error) {
      const busy = this.pool.queueSize >= this.pool.options.maxQueue;
      if (isAbortError(error) || busy) {
        throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE,
          busy
            ? 'The server is busy with other primality tests. Retry after the time in Retry-After.'
            : `The primality test did not finish within the time limit of ${timeoutMs} ms. Retry later.`,
          { field: 'number', headers: { 'Retry-After': String(Math.ceil(timeoutMs / 1000)) } },
        );
      }

      throw error;
    }
  }

  /** Parses the input, rejecting it with 413 before any work when it is over PRIME_MAX_BITS. */
  private toBigInt(input: IntegerInput): bigint {
    const maxBits = this.environment.PRIME_MAX_BITS;
    const digits = input.text.replace(/^-/, '').replace(/^0+(?=\d)/, '');
    if (digits.length > this.maxDigits) {
      throw tooLarge(maxBits, `${digits.length} digits`);
    }

    const n = BigInt(input.text);
    const bits = (n < 0n ? -n : n).toString(2).length;
    if (bits > maxBits) {
      throw tooLarge(maxBits, `${bits} bits`);
    }

    return n;
  }
}

function tooLarge(maxBits: number, size: string): ApiException {
  return new ApiException(
    HttpStatus.PAYLOAD_TOO_LARGE,
    `number is too large: its absolute value must be below 2^${maxBits} (at most ${maxBits} bits), got ${size}.`,
    { field: 'number' },
  );
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * Returns the path of the compiled worker module. Under Jest this file runs from src/ as
 * TypeScript, which a worker thread cannot load, so the compiled copy in dist/ is used. `npm test`
 * builds it first.
 */
function workerFile(): string {
  const beside = fileURLToPath(new URL('./primality-worker.cjs', import.meta.url));
  if (existsSync(beside)) {
    return beside;
  }

  return beside.replace(/([\\/])src([\\/]prime[\\/])/, '$1dist$1src$2');
}
