/**
 * Overhead benchmark: what one layer costs in throughput. Starts two instances of the app in this
 * process, on 127.0.0.1 with free ports and fresh SQLite files in a temporary folder, built the
 * same way with @nestjs/testing, that differ only in the layer measured:
 *
 * - `guard`: in the "unguarded" instance the ApiKeyGuard provider is replaced by a guard that lets
 *   every request through.
 * - `metering`: the "metered" instance runs with METER_CURRENT_TIME=true, so every call is charged
 *   to the key's quota with one UPDATE and gets the rate-limit headers; the "unmetered" instance
 *   runs the same route without metering.
 * - `metering-work`: as `metering`, but the instance without metering runs every handler one step
 *   later, in setImmediate, as the metered path does when it batches its charges. That step alone
 *   changes the request rate on this machine, so this pair shows the cost of the metering work.
 *
 * Both instances get the same requests: POST /get-current-time with the same Authorization header,
 * after a few requests that fill the verification cache. autocannon's command-line program loads
 * them in turn, as a child process, in the order A, B, B, A, and so on, so a drift in the machine's
 * load falls on both alike. Prints req/s, p50 and p99 per run and the layer's cost,
 * 1 - (req/s with the layer / req/s without it). All traffic stays on the loopback interface.
 *
 *   npm run bench:guard                        builds, then runs node dist/bench/overhead.js guard
 *   npm run bench:metering                     the same with the metering layer
 *   BENCH_DURATION=5 BENCH_ROUNDS=1 npm run bench:metering
 *
 * Settings: BENCH_DURATION (10) measured seconds per run, BENCH_WARMUP (2) unmeasured seconds of
 * the same load before each run, BENCH_CONNECTIONS (50) for both instances, BENCH_ROUNDS (2)
 * measured runs per instance. BENCH_LOAD_CPUS (unset) is a CPU list that autocannon is pinned to
 * with taskset. The `:pinned` scripts run this process on CPU 0 and autocannon on CPU 1.
 *
 * It prints numbers only and asserts nothing about them.
 */
import 'reflect-metadata';

import os from 'node:os';
import path from 'node:path';

import type { NestInterceptor } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { from, mergeMap } from 'rxjs';

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

type Variant = 'guarded' | 'unguarded' | 'metered' | 'unmetered' | 'deferred';

interface Layer {
  /** The variant with the layer first, then the one without it. */
  variants: readonly [Variant, Variant];
  /** Configuration of each variant on top of BENCH_ENVIRONMENT. */
  environment(variant: Variant): Record<string, string>;
  /** Changes a variant's app before it listens. */
  prepare?(variant: Variant, app: NestFastifyApplication): void;
}

/**
 * Runs each handler one step later, in the check phase after the poll phase in which its request
 * arrived. The metered path takes the same step: the charges of one turn of the event loop share
 * one SQLite transaction, which runs in setImmediate.
 */
const DEFER_TO_CHECK_PHASE: NestInterceptor = {
  intercept: (_context, next) =>
    from(new Promise((resolve) => setImmediate(resolve))).pipe(mergeMap(() => next.handle())),
};

const LAYERS: Record<string, Layer> = {
  guard: { variants: ['guarded', 'unguarded'], environment: () => ({}) },
  metering: {
    variants: ['metered', 'unmetered'],
    environment: (variant) => ({ METER_CURRENT_TIME: String(variant === 'metered') }),
  },
  // The metering work alone: both apps defer their handlers to the check phase.
  'metering-work': {
    variants: ['metered', 'deferred'],
    environment: (variant) => ({ METER_CURRENT_TIME: String(variant === 'metered') }),
    prepare: (variant, app) => {
      if (variant === 'deferred') {
        app.useGlobalInterceptors(DEFER_TO_CHECK_PHASE);
      }
    },
  },
};

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
async function startTarget(layer: Layer, variant: Variant, tempDir: string): Promise<Target> {
  // Every variable is given, so a developer's .env or shell cannot change what is measured.
  // The cache lifetime is the maximum, so the verified key stays cached for the whole run.
  const environment = loadEnvironment(
    {
      ...BENCH_ENVIRONMENT,
      KEY_CACHE_TTL_SECONDS: '86400',
      ...layer.environment(variant),
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
  layer.prepare?.(variant, app);
  const served = await serveOnLoopback(app);

  return { ...served, variant, url: `${served.baseUrl}${ROUTE}` };
}

const COLUMNS: readonly Column[] = [['round', 5, false], ['app', 10, false], ...LOAD_COLUMNS];

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
  const rounds = positiveInteger('BENCH_ROUNDS', 2);
  const layerName = process.argv[2] ?? 'guard';
  const layer = LAYERS[layerName];
  if (!layer) {
    throw new Error(
      `unknown layer "${layerName}"; expected one of: ${Object.keys(LAYERS).join(', ')}`,
    );
  }
  const [withLayer, withoutLayer] = layer.variants;
  const load = LoadGenerator.fromEnvironment();

  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}`,
  );
  console.log(
    `settings: layer ${layerName}, POST ${ROUTE}, ${durationSeconds} s per run after a ${warmUpSeconds} s unmeasured ` +
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
  let withoutKey: number | undefined;
  try {
    for (const variant of layer.variants) {
      targets.set(variant, await startTarget(layer, variant, tempDir));
    }
    const first = targets.get(withLayer)!;
    // Each app gets its own key with the same settings, so both verify and cache one key.
    const keys = new Map<Variant, string>();
    for (const [variant, target] of targets) {
      const { key } = await target.app
        .get(KeysService)
        .create({ name: 'bench', hourlyLimit: null, dailyLimit: 1e12 });
      keys.set(variant, key);
    }

    if (layerName === 'guard') {
      // Only the unguarded app has its guard replaced, so it returns 200 without a key. The
      // guarded app gets its request without a key after the runs, so its counted failure cannot
      // affect them.
      const unguardedWithoutKey = await requestStatus(targets.get(withoutLayer)!.url, undefined);
      if (unguardedWithoutKey !== 200) {
        throw new Error(`unguarded app: expected 200 without a key, got ${unguardedWithoutKey}`);
      }
    }
    for (const [variant, target] of targets) {
      for (let i = 0; i < PREFLIGHT_REQUESTS; i++) {
        const code = await requestStatus(target.url, keys.get(variant));
        if (code !== 200) {
          throw new Error(`${variant}: expected 200 with the key, got ${code}`);
        }
      }
    }
    console.log(
      `with its key each app answered 200 to ${PREFLIGHT_REQUESTS} requests, so the key was ` +
        `verified and cached before the first run`,
    );

    console.log('');
    console.log(row(COLUMNS.map(([title]) => title)));
    for (let round = 1; round <= rounds; round++) {
      // Odd rounds start with the app that has the layer, even rounds with the other one.
      const order: Variant[] =
        round % 2 === 1 ? [withLayer, withoutLayer] : [withoutLayer, withLayer];
      for (const variant of order) {
        const target = targets.get(variant)!;
        const run = {
          url: target.url,
          method: 'POST',
          headers: headers(keys.get(variant)),
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
    withoutKey = await requestStatus(first.url, undefined);
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
      `${pad(variant, 10, false)}  mean req/s ${mean(results.map((r) => r.requests.average)).toFixed(1)}, ` +
      `p50 ${range(p50)}, p99 ${range(p99)}`
    );
  };
  const rateOf = (variant: Variant): number =>
    mean(resultsOf(variant).map((result) => result.requests.average));
  const perRound = Array.from({ length: rounds }, (_, i) => {
    const inRound = runs.filter((run) => run.round === i + 1);
    const rate = (variant: Variant): number =>
      inRound.find((run) => run.variant === variant)!.result.requests.average;

    return percent(1 - rate(withLayer) / rate(withoutLayer));
  });

  console.log('');
  console.log(`mean over the measured runs of each app (${rounds} each):`);
  console.log(`  ${summary(withLayer)}`);
  console.log(`  ${summary(withoutLayer)}`);
  console.log(
    `${layerName} cost, 1 - ${withLayer} / ${withoutLayer} mean req/s: ` +
      `${percent(1 - rateOf(withLayer) / rateOf(withoutLayer))} (per round: ${perRound.join(', ')})`,
  );
  console.log(
    `after the runs, without a key the ${withLayer} app answered ${String(withoutKey)}` +
      (withoutKey === 401 ? ' (the guard was active)' : ' (expected 401)'),
  );
  console.log(`load average at end (1/5/15 min): ${loadAverage()}`);
}

runBench(main);
