/**
 * Primality engine benchmark: the median time of one primality test of a known prime, per engine
 * and input size, one call at a time. It starts no server and sends no network traffic.
 *
 *   npm run bench:prime                    builds, then runs node dist/bench/prime.js
 *   BENCH_PRIME_CELL_SECONDS=10 npm run bench:prime
 *
 * Inputs: 2^127 - 1 and the primes of exactly 512, 1024, 2048 and 4096 bits in LARGE_PRIMES.
 * Before the first size, PrimeService's worker pool gets untimed 1024-bit calls, because its
 * GMP code receives no input of 512 bits or less. For each size, every engine is first called a few
 * times as a warm-up. Then the engines take turns, one call each per round, so that a change in
 * the machine's load falls on all of them alike. A size ends after its planned rounds, or earlier once BENCH_PRIME_CELL_SECONDS (default
 * 45) have passed for that size and at least MIN_ROUNDS rounds are done, which bounds the run.
 * Each result is checked to be "prime", so no engine is timed on a wrong result.
 *
 * It prints numbers only and asserts nothing about them.
 */
import 'reflect-metadata';

import { checkPrime, checkPrimeSync } from 'node:crypto';
import os from 'node:os';
import { promisify } from 'node:util';

import { init } from 'gmp-wasm';
import type { GMPFunctions } from 'gmp-wasm';

import { Environment } from '../src/config/environment.js';
import { cryptoRandomBase, GmpPrimality } from '../src/prime/gmp-primality.js';
import { isStrongProbablePrime } from '../src/prime/miller-rabin.js';
import { MAIN_THREAD_MAX_BITS, PrimeService } from '../src/prime/prime.service.js';
import { LARGE_PRIMES } from './large-primes.js';
import { loadAverage, positiveInteger, runBench } from './load.js';

const checkPrimeAsync = promisify(checkPrime) as (
  candidate: bigint,
  options: { checks: number },
) => Promise<boolean>;

interface Input {
  label: string;
  n: bigint;
  /** Untimed calls per engine before the timed rounds. */
  warmUp: number;
  /** Timed calls per engine, unless the time cap for the size ends the rounds first. */
  rounds: number;
}

interface Engine {
  id: string;
  name: string;
  /** Runs one test of n and returns whether the engine called it prime. */
  run(n: bigint): boolean | Promise<boolean>;
}

const MERSENNE_127 = (1n << 127n) - 1n;

/** Fewer rounds for the big sizes: at 4096 bits one BigInt call with 40 rounds takes seconds. */
const INPUTS: Input[] = [
  { label: '2^127-1', n: MERSENNE_127, warmUp: 20, rounds: 201 },
  { label: '512', n: LARGE_PRIMES[512], warmUp: 10, rounds: 101 },
  { label: '1024', n: LARGE_PRIMES[1024], warmUp: 5, rounds: 41 },
  { label: '2048', n: LARGE_PRIMES[2048], warmUp: 2, rounds: 15 },
  { label: '4096', n: LARGE_PRIMES[4096], warmUp: 1, rounds: 5 },
];

/** Minimum timed rounds per size, run even when the time cap has passed. */
const MIN_ROUNDS = 3;
const MILLER_RABIN_ROUNDS = 40;
/** Untimed 1024-bit calls of PrimeService.classify before the first size, to warm the workers. */
const POOL_WARM_UP_CALLS = 60;

/** Sets a GMP integer from n and returns mpz_probab_prime_p(n, reps) > 0. */
function gmpProbabPrime(gmp: GMPFunctions, pointer: number, reps: number) {
  return (n: bigint): boolean => {
    gmp.mpz_set_string(pointer, n.toString(16), 16);

    return gmp.mpz_probab_prime_p(pointer, reps) > 0;
  };
}

function bigintMillerRabin(n: bigint): boolean {
  for (let round = 0; round < MILLER_RABIN_ROUNDS; round++) {
    if (!isStrongProbablePrime(n, cryptoRandomBase(n))) {
      return false;
    }
  }

  return true;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);

  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timeOne(engine: Engine, input: Input): Promise<number> {
  const start = performance.now();
  const isPrime = await engine.run(input.n);
  const elapsed = performance.now() - start;
  if (!isPrime) {
    throw new Error(
      `engine ${engine.id} (${engine.name}) called the ${input.label} prime composite`,
    );
  }

  return elapsed;
}

function formatMs(ms: number): string {
  if (ms >= 100) {
    return ms.toFixed(0);
  }

  return ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

function pad(value: string, width: number, alignRight = true): string {
  return alignRight ? value.padStart(width) : value.padEnd(width);
}

async function main(): Promise<void> {
  const cellSeconds = positiveInteger('BENCH_PRIME_CELL_SECONDS', 45);
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores ` +
      `(availableParallelism ${os.availableParallelism()}), Node ${process.version}, ` +
      `OpenSSL ${process.versions.openssl}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  );
  console.log(`load average at start (1/5/15 min): ${loadAverage()}`);
  console.log(
    `settings: one call at a time, engines take turns each round; time cap ${cellSeconds} s per ` +
      `size after at least ${MIN_ROUNDS} rounds; ${POOL_WARM_UP_CALLS} untimed 1024-bit calls ` +
      `warm the worker pool first`,
  );

  const gmp = (await init()).binding;
  const pointer = gmp.mpz_t();
  gmp.mpz_init(pointer);
  const chosen = new GmpPrimality(gmp);
  const service = new PrimeService(Object.assign(new Environment(), { PRIME_WORKERS: 2 }));
  await service.onModuleInit();
  // The worker threads receive only inputs above MAIN_THREAD_MAX_BITS, and their GMP code runs
  // slower for its first few dozen calls, until V8 has optimized it. The main thread's GMP warms
  // up on the small sizes, so the pool is warmed up here to the same point.
  for (let i = 0; i < POOL_WARM_UP_CALLS; i++) {
    await service.classify(LARGE_PRIMES[1024]);
  }

  const engines: Engine[] = [
    {
      id: 'a',
      name: `BigInt Miller-Rabin, ${MILLER_RABIN_ROUNDS} random bases`,
      run: bigintMillerRabin,
    },
    { id: 'b', name: 'OpenSSL checkPrimeSync (default checks)', run: (n) => checkPrimeSync(n) },
    {
      id: 'c',
      name: 'OpenSSL checkPrime async, checks: 40',
      run: (n) => checkPrimeAsync(n, { checks: 40 }),
    },
    {
      id: 'd',
      name: 'gmp-wasm mpz_probab_prime_p(n, 24)',
      run: gmpProbabPrime(gmp, pointer, 24),
    },
    {
      id: 'e',
      name: 'gmp-wasm mpz_probab_prime_p(n, 25)',
      run: gmpProbabPrime(gmp, pointer, 25),
    },
    {
      id: 'f',
      name: 'chosen: GmpPrimality.test, main thread',
      run: (n) => chosen.test(n).result === 'probable_prime',
    },
    {
      id: 'g',
      name: 'PrimeService.classify, end to end',
      run: async (n) => (await service.classify(n)).result === 'probable_prime',
    },
  ];

  const medians = new Map<string, number>();
  const roundsDone = new Map<string, number>();
  const started = performance.now();
  try {
    for (const input of INPUTS) {
      for (const engine of engines) {
        for (let i = 0; i < input.warmUp; i++) {
          await timeOne(engine, input);
        }
      }

      const samples = new Map<string, number[]>(engines.map((engine) => [engine.id, []]));
      const deadline = performance.now() + cellSeconds * 1000;
      let rounds = 0;
      while (rounds < input.rounds && (rounds < MIN_ROUNDS || performance.now() < deadline)) {
        for (const engine of engines) {
          samples.get(engine.id)!.push(await timeOne(engine, input));
        }
        rounds++;
      }

      for (const engine of engines) {
        medians.set(`${engine.id}:${input.label}`, median(samples.get(engine.id)!));
      }
      roundsDone.set(input.label, rounds);
    }
  } finally {
    await service.onModuleDestroy();
    gmp.mpz_clear(pointer);
    gmp.mpz_t_free(pointer);
  }

  const labelWidth = Math.max(...engines.map((engine) => engine.name.length)) + 4;
  const columnWidth = 10;
  const header = (first: string): string =>
    pad(first, labelWidth, false) + INPUTS.map((input) => pad(input.label, columnWidth)).join('');

  console.log('');
  console.log('median ms per call (one call at a time)');
  console.log(header('engine \\ bits'));
  for (const engine of engines) {
    console.log(
      pad(`${engine.id}) ${engine.name}`, labelWidth, false) +
        INPUTS.map((input) =>
          pad(formatMs(medians.get(`${engine.id}:${input.label}`)!), columnWidth),
        ).join(''),
    );
  }
  console.log(
    pad('timed calls per engine', labelWidth, false) +
      INPUTS.map((input) => pad(String(roundsDone.get(input.label)), columnWidth)).join(''),
  );

  const ratio = (slower: string, faster: string, label: string): string =>
    `${(medians.get(`${slower}:${label}`)! / medians.get(`${faster}:${label}`)!).toFixed(2)}x`;

  console.log('');
  console.log(
    'speed-up: median of the OpenSSL engine / median of ours (above 1 means ours is faster)',
  );
  console.log(header('ratio \\ bits'));
  for (const [slower, faster, text] of [
    ['c', 'f', '(c) checkPrime async, 40 / (f) chosen'],
    ['b', 'f', '(b) checkPrimeSync / (f) chosen'],
    ['c', 'g', '(c) checkPrime async, 40 / (g) classify'],
    ['b', 'g', '(b) checkPrimeSync / (g) classify'],
  ] as const) {
    console.log(
      pad(text, labelWidth, false) +
        INPUTS.map((input) => pad(ratio(slower, faster, input.label), columnWidth)).join(''),
    );
  }

  console.log('');
  console.log(
    `(g) runs on the event loop up to ${MAIN_THREAD_MAX_BITS} bits and on a worker thread above; ` +
      `(d) and (e) include setting the GMP integer from the bigint.`,
  );
  console.log(
    `total ${((performance.now() - started) / 1000).toFixed(0)} s; load average at end: ` +
      loadAverage(),
  );
}

runBench(main);
