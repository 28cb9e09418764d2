/**
 * HTTP load benchmark. Starts two instances of the app in this process, on 127.0.0.1 with free
 * ports and fresh SQLite files in a temporary folder: one with the default primality engine
 * (PRIME_ENGINE=gmp) and one with PRIME_ENGINE=openssl. Mints an API key with a huge quota in
 * each. Loads each case with autocannon's command-line program, run as a child process, so the
 * load generator does not share this process's event loop with the server. Records this process's
 * event-loop delay during each case, prints one line per case and the ratios between cases, then
 * closes the apps and deletes the folder. All traffic stays on the loopback interface.
 *
 *   npm run bench                                     10 s per case, 50 connections
 *   BENCH_DURATION=5 BENCH_CONNECTIONS=20 npm run bench
 *
 * Other settings: BENCH_LARGE_CONNECTIONS (20) for the 4096-bit case, BENCH_WARMUP (2) seconds
 * of unmeasured load before each case, BENCH_LOAD_CPUS (unset) a CPU list that autocannon is
 * pinned to with taskset.
 *
 * `npm run bench:pinned` runs this process on CPU 0 and autocannon on CPU 1. Then the work that
 * the server does on other threads, such as OpenSSL's checkPrime on the libuv pool or GMP on a
 * worker thread, competes with its event loop instead of using a core of its own.
 *
 * It prints numbers only and asserts nothing about them.
 */
import 'reflect-metadata';

import os from 'node:os';
import path from 'node:path';
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

import { createApp } from '../src/app.factory.js';
import { loadEnvironment, PrimeEngine } from '../src/config/environment.js';
import { KeysService } from '../src/keys/keys.service.js';
import { LARGE_PRIMES } from './large-primes.js';
import type { Column, LoadRun, ServedApp } from './load.js';
import {
  BENCH_ENVIRONMENT,
  closeApps,
  cpuAffinityLine,
  drain,
  DRAIN_TIMEOUT_SECONDS,
  formatRow,
  LOAD_COLUMNS,
  loadAverage,
  loadCells,
  LoadGenerator,
  positiveInteger,
  prepareRun,
  runBench,
  serveOnLoopback,
} from './load.js';

type CaseId = 'docs' | 'time' | 'prime7' | 'prime127-gmp' | 'prime127-openssl' | 'prime4096-gmp';

interface BenchCase {
  id: CaseId;
  name: string;
  engine: PrimeEngine;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  authorized: boolean;
  /** Connections for this case, or BENCH_CONNECTIONS when undefined. */
  connections?: number;
}

interface DelayStats {
  p50: number;
  p99: number;
  max: number;
}

interface Target extends ServedApp {
  engine: PrimeEngine;
  key: string;
}

/** 2^127 - 1, a Mersenne prime of 127 bits, above the deterministic Miller-Rabin bound. */
const MERSENNE_127 = ((1n << 127n) - 1n).toString();

const BCRYPT_COST = 10;
const PREFLIGHT_REQUESTS = 3;
const PREFLIGHT_TIMEOUT_MS = 30_000;
/** Sampling interval of the event-loop delay histogram, in ms. Each sample includes it. */
const DELAY_RESOLUTION_MS = 10;
const IDLE_DELAY_MS = 2_000;

function casesFor(largeConnections: number): BenchCase[] {
  const prime127 = `{"number": ${MERSENNE_127}}`;

  return [
    {
      id: 'docs',
      name: 'GET /docs-json (no auth)',
      engine: 'gmp',
      method: 'GET',
      path: '/docs-json',
      authorized: false,
    },
    {
      id: 'time',
      name: 'POST /get-current-time',
      engine: 'gmp',
      method: 'POST',
      path: '/get-current-time',
      authorized: true,
    },
    {
      // Trial division decides 7 and no engine runs, so this case measures the rest of a call.
      id: 'prime7',
      name: 'POST /check-prime 7 (no engine)',
      engine: 'gmp',
      method: 'POST',
      path: '/check-prime',
      body: '{"number": 7}',
      authorized: true,
    },
    {
      id: 'prime127-gmp',
      name: 'POST /check-prime 2^127-1, gmp',
      engine: 'gmp',
      method: 'POST',
      path: '/check-prime',
      body: prime127,
      authorized: true,
    },
    {
      id: 'prime127-openssl',
      name: 'POST /check-prime 2^127-1, openssl',
      engine: 'openssl',
      method: 'POST',
      path: '/check-prime',
      body: prime127,
      authorized: true,
    },
    {
      id: 'prime4096-gmp',
      name: 'POST /check-prime 4096-bit, gmp',
      engine: 'gmp',
      method: 'POST',
      path: '/check-prime',
      body: `{"number": "${LARGE_PRIMES[4096].toString()}"}`,
      authorized: true,
      connections: largeConnections,
    },
  ];
}

function headersFor(benchCase: BenchCase, key: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (benchCase.method === 'POST') {
    headers['content-type'] = 'application/json';
  }
  if (benchCase.authorized) {
    headers.authorization = key;
  }

  return headers;
}

/**
 * Sends the case a few times, one at a time, and throws unless every response is 2xx, so no
 * load run measures an error. Returns the `method` field of a /check-prime response, which names
 * the engine that decided it.
 */
async function preflight(target: Target, benchCase: BenchCase): Promise<string | undefined> {
  let method: string | undefined;
  for (let i = 0; i < PREFLIGHT_REQUESTS; i++) {
    const response = await fetch(`${target.baseUrl}${benchCase.path}`, {
      method: benchCase.method,
      headers: headersFor(benchCase, target.key),
      body: benchCase.body,
      signal: AbortSignal.timeout(PREFLIGHT_TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(
        `${benchCase.name}: expected 2xx, got ${response.status}: ${text.slice(0, 300)}`,
      );
    }
    if (benchCase.path === '/check-prime') {
      const parsed = JSON.parse(text) as { isPrime?: unknown; method?: unknown };
      if (parsed.isPrime !== true) {
        throw new Error(`${benchCase.name}: expected isPrime true, got ${text.slice(0, 300)}`);
      }
      method = String(parsed.method);
    }
  }

  return method;
}

/** Describes one autocannon run of the case against the target. */
function loadRun(
  benchCase: BenchCase,
  target: Target,
  connections: number,
  durationSeconds: number,
): LoadRun {
  return {
    url: `${target.baseUrl}${benchCase.path}`,
    method: benchCase.method,
    headers: headersFor(benchCase, target.key),
    body: benchCase.body,
    connections,
    durationSeconds,
    label: benchCase.name,
  };
}

function delayStats(histogram: IntervalHistogram): DelayStats {
  return {
    p50: histogram.percentile(50) / 1e6,
    p99: histogram.percentile(99) / 1e6,
    max: histogram.max / 1e6,
  };
}

async function startTarget(engine: PrimeEngine, tempDir: string): Promise<Target> {
  // Every variable is given, so a developer's .env or shell cannot change what is measured.
  const environment = loadEnvironment(
    {
      ...BENCH_ENVIRONMENT,
      BCRYPT_COST: String(BCRYPT_COST),
      DATABASE_PATH: path.join(tempDir, `bench-${engine}.sqlite`),
      PRIME_ENGINE: engine,
    },
    path.join(tempDir, 'no.env'),
  );
  const served = await serveOnLoopback(await createApp(environment));
  const { key } = await served.app
    .get(KeysService)
    .create({ name: 'bench', hourlyLimit: null, dailyLimit: 1e9 });

  return { ...served, engine, key };
}

const COLUMNS: readonly Column[] = [
  ['case', 36, false],
  ...LOAD_COLUMNS,
  ['loop p50', 8, true],
  ['loop p99', 8, true],
  ['loop max', 8, true],
];

function row(values: (string | number)[]): string {
  return formatRow(COLUMNS, values);
}

function ms(value: number): string {
  return value.toFixed(1);
}

async function main(): Promise<void> {
  const durationSeconds = positiveInteger('BENCH_DURATION', 10);
  const connections = positiveInteger('BENCH_CONNECTIONS', 50);
  const largeConnections = positiveInteger('BENCH_LARGE_CONNECTIONS', 20);
  const warmUpSeconds = positiveInteger('BENCH_WARMUP', 2);
  const cases = casesFor(largeConnections);
  const load = LoadGenerator.fromEnvironment();

  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, ` +
      `OpenSSL ${process.versions.openssl}`,
  );
  console.log(
    `settings: ${durationSeconds} s per case after a ${warmUpSeconds} s unmeasured warm-up, ` +
      `${connections} connections ` +
      `(${largeConnections} for the 4096-bit case), BCRYPT_COST=${BCRYPT_COST}, ` +
      `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  );
  console.log(
    `load generator: autocannon CLI in a child process per case; server: this process (pid ${process.pid})`,
  );
  console.log(cpuAffinityLine(load));
  console.log(`load average at start (1/5/15 min): ${loadAverage()}`);

  // prepareRun's watchdog ends the bench after this budget, long past its planned time.
  const budgetMs = (cases.length * (durationSeconds + warmUpSeconds + 150) + 120) * 1000;
  const { tempDir, removeTempDir } = prepareRun('primetime-bench-', budgetMs, load);

  const targets: Target[] = [];
  const rates = new Map<CaseId, number>();
  const delays = new Map<CaseId, DelayStats>();
  try {
    for (const engine of ['gmp', 'openssl'] as const) {
      targets.push(await startTarget(engine, tempDir));
    }

    const idle = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
    idle.enable();
    await new Promise((resolve) => setTimeout(resolve, IDLE_DELAY_MS));
    idle.disable();
    const idleDelay = delayStats(idle);
    console.log(
      `event-loop delay with no load, ${IDLE_DELAY_MS / 1000} s: p50 ${ms(idleDelay.p50)} ms, ` +
        `p99 ${ms(idleDelay.p99)} ms, max ${ms(idleDelay.max)} ms ` +
        `(resolution ${DELAY_RESOLUTION_MS} ms; every sample includes it)`,
    );

    console.log('');
    console.log(row(COLUMNS.map(([title]) => title)));
    const notes: string[] = [];
    for (const benchCase of cases) {
      const target = targets.find((candidate) => candidate.engine === benchCase.engine)!;
      const method = await preflight(target, benchCase);
      if (method !== undefined) {
        notes.push(`${benchCase.name}: answered by method ${method}`);
      }

      const caseConnections = benchCase.connections ?? connections;
      // An unmeasured warm-up load, so the case order does not decide which route runs cold code.
      await load.run(loadRun(benchCase, target, caseConnections, warmUpSeconds));
      await drain(target.inFlight);

      const histogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
      histogram.enable();
      const result = await load.run(loadRun(benchCase, target, caseConnections, durationSeconds));
      histogram.disable();
      const delay = delayStats(histogram);
      rates.set(benchCase.id, result.requests.average);
      if (result.timeouts > 0) {
        notes.push(`${benchCase.name}: ${result.timeouts} of the errors were request timeouts`);
      }
      delays.set(benchCase.id, delay);

      console.log(
        row([
          benchCase.name,
          ...loadCells(caseConnections, result),
          ms(delay.p50),
          ms(delay.p99),
          ms(delay.max),
        ]),
      );
      const left = await drain(target.inFlight);
      if (left > 0) {
        notes.push(
          `${benchCase.name}: ${left} requests were still in flight ${DRAIN_TIMEOUT_SECONDS} s after the case ended`,
        );
      }
    }

    console.log('');
    for (const note of notes) {
      console.log(note);
    }

    const ratio = (a: CaseId, b: CaseId): string => (rates.get(a)! / rates.get(b)!).toFixed(2);
    const large = delays.get('prime4096-gmp')!;
    console.log('');
    console.log('ratios of req/s, this run:');
    console.log(
      `  check-prime 2^127-1 gmp / check-prime 2^127-1 openssl: ${ratio('prime127-gmp', 'prime127-openssl')}`,
    );
    console.log(
      `  check-prime 2^127-1 gmp / get-current-time:           ${ratio('prime127-gmp', 'time')}`,
    );
    console.log(
      `  check-prime 2^127-1 gmp / check-prime 7:              ${ratio('prime127-gmp', 'prime7')}`,
    );
    console.log(
      `event-loop delay of the server process during the 4096-bit load: p50 ${ms(large.p50)} ms, ` +
        `p99 ${ms(large.p99)} ms, max ${ms(large.max)} ms`,
    );
  } finally {
    await closeApps(targets);
    removeTempDir();
  }

  console.log(`load average at end (1/5/15 min): ${loadAverage()}`);
}

runBench(main);
