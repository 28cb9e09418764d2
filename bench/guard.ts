/**
 * Guard-cost benchmark. Starts two instances of the app in this process, on 127.0.0.1 with free
 * ports and fresh SQLite files in a temporary folder. Both are built the same way, with
 * @nestjs/testing. In the "unguarded" instance the ApiKeyGuard provider is replaced by a guard
 * that lets every request through. Both instances get the same requests: POST /get-current-time
 * (authenticated, not metered) with the same Authorization header, after a few requests that fill
 * the guarded instance's verification cache. autocannon's command-line program loads them in turn,
 * as a child process, in the order guarded, unguarded, unguarded, guarded, and so on, so a drift in
 * the machine's load falls on both alike. Prints req/s, p50 and p99 per run and the guard's cost,
 * 1 - (guarded req/s / unguarded req/s). All traffic stays on the loopback interface.
 *
 *   npm run bench:guard                        builds, then runs node dist/bench/guard.js
 *   BENCH_DURATION=5 BENCH_GUARD_ROUNDS=1 npm run bench:guard
 *
 * Settings: BENCH_DURATION (10) measured seconds per run, BENCH_WARMUP (2) unmeasured seconds of
 * the same load before each run, BENCH_CONNECTIONS (50) for both instances, BENCH_GUARD_ROUNDS (2)
 * measured runs per instance. BENCH_LOAD_CPUS (unset) is a CPU list that autocannon is pinned to
 * with taskset. `npm run bench:guard:pinned` runs this process on CPU 0 and autocannon on CPU 1.
 *
 * It prints numbers only and asserts nothing about them.
 */
import 'reflect-metadata';

import os from 'node:os';
import path from 'node:path';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

import { configureApp, createAdapter } from '../src/app.factory.js';
import { AppModule } from '../src/app.module.js';
import { ApiKeyGuard } from '../src/common/api-key.guard.js';
import { loadEnvironment } from '../src/config/environment.js';
import { KeysService } from '../src/keys/keys.service.js';
import type { AutocannonResult, Column, ServedApp } from './load.js';
import {
  BENCH_ENVIRONMENT,
  closeApps,
  cpuAffinityLine,
  drain,
  formatRow,
  LOAD_COLUMNS,
  loadAverage,
  loadCells,
  LoadGenerator,
  pad,
  positiveInteger,
  prepareRun,
  runBench,
  serveOnLoopback,
} from './load.js';

type Variant = 'guarded' | 'unguarded';

interface Target extends ServedApp {
  variant: Variant;
  url: string;
}

interface Run {
  round: number;
  variant: Variant;
  result: AutocannonResult;
}

const ROUTE = '/get-current-time';
/** Requests sent one at a time before the first run. The first fills the verification cache. */
const PREFLIGHT_REQUESTS = 3;
const PREFLIGHT_TIMEOUT_MS = 30_000;

function headers(key: string | undefined): Record<string, string> {
  return key === undefined
    ? { 'content-type': 'application/json' }
    : { 'content-type': 'application/json', authorization: key };
}

/** Sends one request and returns its status, throwing on a network error. */
async function requestStatus(url: string, key: string | undefined): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: headers(key),
    signal: AbortSignal.timeout(PREFLIGHT_TIMEOUT_MS),
  });
  await response.text();

  return response.status;
}

/**
 * Builds the app as createApp() does, but through a testing module, so the guard can be swapped.
 * AppModule provides ApiKeyGuard under its own class and as APP_GUARD with useExisting, so the
 * override replaces the global guard too.
 */
async function startTarget(variant: Variant, tempDir: string): Promise<Target> {
  // Every variable is given, so a developer's .env or shell cannot change what is measured.
  // The cache lifetime is the maximum, so the verified key stays cached for the whole run.
  const environment = loadEnvironment(
    {
      ...BENCH_ENVIRONMENT,
      KEY_CACHE_TTL_SECONDS: '86400',
      DATABASE_PATH: path.join(tempDir, `bench-${variant}.sqlite`),
    },
    path.join(tempDir, 'no.env'),
  );
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot(environment)] });
  if (variant === 'unguarded') {
    builder = builder.overrideProvider(ApiKeyGuard).useValue({ canActivate: () => true });
  }
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(environment), {
    logger: ['fatal', 'error', 'warn'],
  });
  configureApp(app, environment);
  const served = await serveOnLoopback(app);

  return { ...served, variant, url: `${served.baseUrl}${ROUTE}` };
}

const COLUMNS: readonly Column[] = [['round', 5, false], ['app', 9, false], ...LOAD_COLUMNS];

function row(values: (string | number)[]): string {
  return formatRow(COLUMNS, values);
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

async function main(): Promise<void> {
  const durationSeconds = positiveInteger('BENCH_DURATION', 10);
  const warmUpSeconds = positiveInteger('BENCH_WARMUP', 2);
  const connections = positiveInteger('BENCH_CONNECTIONS', 50);
  const rounds = positiveInteger('BENCH_GUARD_ROUNDS', 2);
  const load = LoadGenerator.fromEnvironment();

  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}`,
  );
  console.log(
    `settings: POST ${ROUTE}, ${durationSeconds} s per run after a ${warmUpSeconds} s unmeasured ` +
      `warm-up, ${connections} connections for both apps, measured runs per app: ${rounds}`,
  );
  console.log(
    `load generator: autocannon CLI in a child process per run; server: this process (pid ${process.pid})`,
  );
  console.log(cpuAffinityLine(load));
  console.log(`load average at start (1/5/15 min): ${loadAverage()}`);

  // prepareRun's watchdog ends the bench after this budget, long past its planned time.
  const budgetMs = (2 * rounds * (durationSeconds + warmUpSeconds + 150) + 120) * 1000;
  const { tempDir, removeTempDir } = prepareRun('primetime-bench-guard-', budgetMs, load);

  const targets = new Map<Variant, Target>();
  const runs: Run[] = [];
  let guardedWithoutKey: number | undefined;
  try {
    for (const variant of ['guarded', 'unguarded'] as const) {
      targets.set(variant, await startTarget(variant, tempDir));
    }
    const guarded = targets.get('guarded')!;
    const unguarded = targets.get('unguarded')!;
    // The unguarded app never reads the key, but gets the same header, so the requests are equal.
    const { key } = await guarded.app
      .get(KeysService)
      .create({ name: 'bench', limit: 1e9, period: 'day' });

    // Only the unguarded app has its guard replaced, so it returns 200 without a key. The guarded
    // app gets its request without a key after the runs, so its counted failure cannot affect them.
    const unguardedWithoutKey = await requestStatus(unguarded.url, undefined);
    if (unguardedWithoutKey !== 200) {
      throw new Error(`unguarded app: expected 200 without a key, got ${unguardedWithoutKey}`);
    }
    for (const target of [guarded, unguarded]) {
      for (let i = 0; i < PREFLIGHT_REQUESTS; i++) {
        const code = await requestStatus(target.url, key);
        if (code !== 200) {
          throw new Error(`${target.variant}: expected 200 with the key, got ${code}`);
        }
      }
    }
    console.log(
      `without a key the unguarded app answered ${unguardedWithoutKey}; with the key both ` +
        `answered 200 to ${PREFLIGHT_REQUESTS} requests each, so the key was verified and cached ` +
        `before the first run`,
    );

    console.log('');
    console.log(row(COLUMNS.map(([title]) => title)));
    for (let round = 1; round <= rounds; round++) {
      // Odd rounds start with the guarded app, even rounds with the unguarded one.
      const order: Variant[] =
        round % 2 === 1 ? ['guarded', 'unguarded'] : ['unguarded', 'guarded'];
      for (const variant of order) {
        const target = targets.get(variant)!;
        const run = {
          url: target.url,
          method: 'POST',
          headers: headers(key),
          connections,
        } as const;
        await load.run({ ...run, durationSeconds: warmUpSeconds });
        await drain(target.inFlight);
        const result = await load.run({ ...run, durationSeconds });
        await drain(target.inFlight);
        runs.push({ round, variant, result });
        console.log(row([round, variant, ...loadCells(connections, result)]));
      }
    }
    guardedWithoutKey = await requestStatus(guarded.url, undefined);
  } finally {
    await closeApps(targets.values());
    removeTempDir();
  }

  const resultsOf = (variant: Variant): AutocannonResult[] =>
    runs.filter((run) => run.variant === variant).map((run) => run.result);
  const summary = (variant: Variant): string => {
    const results = resultsOf(variant);
    const p50 = results.map((result) => result.latency.p50);
    const p99 = results.map((result) => result.latency.p99);
    const range = (values: number[]): string =>
      `${Math.min(...values).toFixed(1)} to ${Math.max(...values).toFixed(1)} ms`;

    return (
      `${pad(variant, 9, false)}  mean req/s ${mean(results.map((r) => r.requests.average)).toFixed(1)}, ` +
      `p50 ${range(p50)}, p99 ${range(p99)}`
    );
  };
  const guardedRate = mean(resultsOf('guarded').map((result) => result.requests.average));
  const unguardedRate = mean(resultsOf('unguarded').map((result) => result.requests.average));
  const perRound = Array.from({ length: rounds }, (_, i) => {
    const inRound = runs.filter((run) => run.round === i + 1);
    const rate = (variant: Variant): number =>
      inRound.find((run) => run.variant === variant)!.result.requests.average;

    return percent(1 - rate('guarded') / rate('unguarded'));
  });

  console.log('');
  console.log(`mean over the measured runs of each app (${rounds} each):`);
  console.log(`  ${summary('guarded')}`);
  console.log(`  ${summary('unguarded')}`);
  console.log(
    `guard cost, 1 - guarded / unguarded mean req/s: ${percent(1 - guardedRate / unguardedRate)} ` +
      `(per round: ${perRound.join(', ')})`,
  );
  console.log(
    `after the runs, without a key the guarded app answered ${String(guardedWithoutKey)}` +
      (guardedWithoutKey === 401 ? ' (the guard was active)' : ' (expected 401)'),
  );
  console.log(`load average at end (1/5/15 min): ${loadAverage()}`);
}

runBench(main);
