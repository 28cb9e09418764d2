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
 * measured runs per instance.
 *
 * It prints numbers only and asserts nothing about them.
 */
import 'reflect-metadata';

import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

import { configureApp, createAdapter } from '../src/app.factory.js';
import { AppModule } from '../src/app.module.js';
import { ApiKeyGuard } from '../src/common/api-key.guard.js';
import { loadEnvironment } from '../src/config/environment.js';
import { KeysService } from '../src/keys/keys.service.js';

type Variant = 'guarded' | 'unguarded';

interface Target {
  variant: Variant;
  app: NestFastifyApplication;
  url: string;
  inFlight: () => number;
}

/** The fields of autocannon's --json result that the bench prints. */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface Run {
  round: number;
  variant: Variant;
  result: AutocannonResult;
}

const ROUTE = '/get-current-time';
const REQUEST_TIMEOUT_SECONDS = 30;
/** Requests sent one at a time before the first run. The first fills the verification cache. */
const PREFLIGHT_REQUESTS = 3;
const PREFLIGHT_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 60_000;
/** Time given to autocannon beyond the run's duration before it is killed. */
const CHILD_GRACE_MS = 60_000;

const AUTOCANNON_CLI = createRequire(import.meta.url).resolve('autocannon');

/** The autocannon process of the current run, killed by the watchdog if the bench hangs. */
let runningChild: ChildProcess | undefined;

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`invalid ${name}: expected an integer of 1 or more, got "${raw}"`);
  }

  return value;
}

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

/** Runs autocannon in a child process and returns its JSON result. */
function runAutocannon(
  url: string,
  key: string,
  connections: number,
  durationSeconds: number,
): Promise<AutocannonResult> {
  const args = [
    AUTOCANNON_CLI,
    '--json',
    '--connections',
    String(connections),
    '--duration',
    String(durationSeconds),
    '--timeout',
    String(REQUEST_TIMEOUT_SECONDS),
    '--method',
    'POST',
    ...Object.entries(headers(key)).flatMap(([name, value]) => ['--headers', `${name}=${value}`]),
    url,
  ];

  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    runningChild = child;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const killTimer = setTimeout(
      () => child.kill('SIGKILL'),
      durationSeconds * 1000 + CHILD_GRACE_MS,
    );
    child.on('error', (error) => {
      clearTimeout(killTimer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      runningChild = undefined;
      const lastLine = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !lastLine.startsWith('{')) {
        reject(
          new Error(
            `autocannon exited with ${signal ?? `code ${String(code)}`}: ` +
              `${stderr.slice(0, 500)}${stdout.slice(0, 500)}`,
          ),
        );
        return;
      }
      resolve(JSON.parse(lastLine) as AutocannonResult);
    });
  });
}

/**
 * Counts requests whose response has not been ended, so the server can finish the requests of
 * one run before the next starts. The same wrapper runs in both instances.
 */
function trackInFlight(server: Server): () => number {
  let inFlight = 0;
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    inFlight++;
    let ended = false;
    const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
    response.end = ((...args: unknown[]) => {
      if (!ended) {
        ended = true;
        inFlight--;
      }

      return end(...args);
    }) as ServerResponse['end'];
  });

  return () => inFlight;
}

async function drain(inFlight: () => number): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (inFlight() > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Builds the app as createApp() does, but through a testing module, so the guard can be swapped.
 * AppModule provides ApiKeyGuard under its own class and as APP_GUARD with useExisting, so the
 * override replaces the global guard too.
 */
async function startTarget(
  variant: Variant,
  tempDir: string,
  overrides: Record<string, string>,
): Promise<Target> {
  const environment = loadEnvironment(
    { ...overrides, DATABASE_PATH: path.join(tempDir, `bench-${variant}.sqlite`) },
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
  const inFlight = trackInFlight(app.getHttpServer());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;

  return { variant, app, url: `http://127.0.0.1:${port}${ROUTE}`, inFlight };
}

function pad(value: string | number, width: number, alignRight = true): string {
  const text = String(value);

  return alignRight ? text.padStart(width) : text.padEnd(width);
}

const COLUMNS = [
  ['round', 5, false],
  ['app', 9, false],
  ['conns', 5, true],
  ['req/s', 9, true],
  ['p50 ms', 7, true],
  ['p99 ms', 7, true],
  ['requests', 8, true],
  ['non-2xx', 7, true],
  ['errors', 6, true],
] as const;

function row(values: (string | number)[]): string {
  return values.map((value, i) => pad(value, COLUMNS[i][1], COLUMNS[i][2])).join('  ');
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}

async function main(): Promise<void> {
  const durationSeconds = positiveInteger('BENCH_DURATION', 10);
  const warmUpSeconds = positiveInteger('BENCH_WARMUP', 2);
  const connections = positiveInteger('BENCH_CONNECTIONS', 50);
  const rounds = positiveInteger('BENCH_GUARD_ROUNDS', 2);

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
  console.log(`load average at start (1/5/15 min): ${loadAverage()}`);

  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'primetime-bench-guard-'));
  const removeTempDir = (): void => rmSync(tempDir, { recursive: true, force: true });
  process.once('SIGINT', removeTempDir);
  process.once('SIGTERM', removeTempDir);

  // autocannon stops each run after its duration. This timer only ends a run that hangs.
  const budgetMs = (2 * rounds * (durationSeconds + warmUpSeconds + 150) + 120) * 1000;
  setTimeout(() => {
    process.stderr.write(`bench timed out after ${budgetMs / 1000} s and was stopped\n`);
    runningChild?.kill('SIGKILL');
    removeTempDir();
    process.exit(1);
  }, budgetMs).unref();

  // The script sets every variable, so a developer's .env or shell cannot change what is measured.
  // The cache lifetime is the maximum, so the verified key stays cached for the whole run.
  const overrides = {
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_TOKEN: '',
    BCRYPT_COST: '10',
    AUTH_FAILURE_LIMIT: '10',
    AUTH_FAILURE_WINDOW_SECONDS: '60',
    KEY_CACHE_TTL_SECONDS: '86400',
    KEY_CACHE_MAX_ENTRIES: '10000',
    QUOTA_LIMIT: '5',
    QUOTA_PERIOD: 'day',
    PRIME_MAX_BITS: '4096',
    PRIME_TIMEOUT_MS: '10000',
    PRIME_WORKERS: '0',
    PRIME_ENGINE: 'gmp',
    BODY_LIMIT_BYTES: '16384',
    LOG_LEVEL: 'warn',
  };

  const targets = new Map<Variant, Target>();
  const runs: Run[] = [];
  let guardedWithoutKey: number | undefined;
  try {
    for (const variant of ['guarded', 'unguarded'] as const) {
      targets.set(variant, await startTarget(variant, tempDir, overrides));
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
        await runAutocannon(target.url, key, connections, warmUpSeconds);
        await drain(target.inFlight);
        const result = await runAutocannon(target.url, key, connections, durationSeconds);
        await drain(target.inFlight);
        runs.push({ round, variant, result });
        console.log(
          row([
            round,
            variant,
            connections,
            result.requests.average.toFixed(1),
            result.latency.p50.toFixed(1),
            result.latency.p99.toFixed(1),
            result.requests.total,
            result.non2xx,
            result.errors,
          ]),
        );
      }
    }
    guardedWithoutKey = await requestStatus(guarded.url, undefined);
  } finally {
    for (const target of targets.values()) {
      await drain(target.inFlight);
      await target.app.close();
    }
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

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
