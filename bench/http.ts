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
 * of unmeasured load before each case.
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
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { createApp } from '../src/app.factory.js';
import { loadEnvironment, PrimeEngine } from '../src/config/environment.js';
import { KeysService } from '../src/keys/keys.service.js';
import { LARGE_PRIMES } from './large-primes.js';

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

/** The fields of autocannon's --json result that the bench prints. */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface DelayStats {
  p50: number;
  p99: number;
  max: number;
}

interface Target {
  engine: PrimeEngine;
  app: NestFastifyApplication;
  baseUrl: string;
  key: string;
  inFlight: () => number;
}

/** 2^127 - 1, a Mersenne prime of 127 bits, above the deterministic Miller-Rabin bound. */
const MERSENNE_127 = ((1n << 127n) - 1n).toString();

const BCRYPT_COST = 10;
const REQUEST_TIMEOUT_SECONDS = 30;
const PREFLIGHT_REQUESTS = 3;
const PREFLIGHT_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 60_000;
/** Time given to autocannon beyond the case's duration before it is killed. */
const CHILD_GRACE_MS = 60_000;
/** Sampling interval of the event-loop delay histogram, in ms. Each sample includes it. */
const DELAY_RESOLUTION_MS = 10;
const IDLE_DELAY_MS = 2_000;

const AUTOCANNON_CLI = createRequire(import.meta.url).resolve('autocannon');

/** The autocannon process of the running case, killed by the watchdog if the run hangs. */
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

/**
 * Runs autocannon's command-line program in a child process for one case and returns its JSON
 * result. Kills the child if it runs CHILD_GRACE_MS past the case's duration.
 */
function runAutocannon(
  url: string,
  benchCase: BenchCase,
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
    benchCase.method,
    ...Object.entries(headersFor(benchCase, key)).flatMap(([name, value]) => [
      '--headers',
      `${name}=${value}`,
    ]),
    ...(benchCase.body === undefined ? [] : ['--body', benchCase.body]),
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
            `${benchCase.name}: autocannon exited with ${signal ?? `code ${String(code)}`}: ` +
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
 * Counts requests whose handler has not yet written its response. When a case ends, autocannon
 * closes its connections, but the server still finishes the requests it had accepted. Waiting
 * for them keeps them out of the next case and out of app.close(). A request counts as done when
 * its response's end() is called, which Fastify does for HTTP/1 even after the client has gone.
 * The wrapper costs one closure per request.
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

/** Waits until no request is in flight or DRAIN_TIMEOUT_MS has passed; returns the count left. */
async function drain(inFlight: () => number): Promise<number> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (inFlight() > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return inFlight();
}

function delayStats(histogram: IntervalHistogram): DelayStats {
  return {
    p50: histogram.percentile(50) / 1e6,
    p99: histogram.percentile(99) / 1e6,
    max: histogram.max / 1e6,
  };
}

async function startTarget(
  engine: PrimeEngine,
  tempDir: string,
  overrides: Record<string, string>,
): Promise<Target> {
  // Every variable is given, so a developer's .env or shell cannot change what is measured.
  const environment = loadEnvironment(
    {
      ...overrides,
      DATABASE_PATH: path.join(tempDir, `bench-${engine}.sqlite`),
      PRIME_ENGINE: engine,
    },
    path.join(tempDir, 'no.env'),
  );
  const app = await createApp(environment);
  const inFlight = trackInFlight(app.getHttpServer());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  const { key } = await app.get(KeysService).create({ name: 'bench', limit: 1e9, period: 'day' });

  return { engine, app, baseUrl: `http://127.0.0.1:${port}`, key, inFlight };
}

function pad(value: string | number, width: number, alignRight = true): string {
  const text = String(value);

  return alignRight ? text.padStart(width) : text.padEnd(width);
}

const COLUMNS = [
  ['case', 36, false],
  ['conns', 5, true],
  ['req/s', 9, true],
  ['p50 ms', 7, true],
  ['p99 ms', 7, true],
  ['requests', 8, true],
  ['non-2xx', 7, true],
  ['errors', 6, true],
  ['loop p50', 8, true],
  ['loop p99', 8, true],
  ['loop max', 8, true],
] as const;

function row(values: (string | number)[]): string {
  return values.map((value, i) => pad(value, COLUMNS[i][1], COLUMNS[i][2])).join('  ');
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
  console.log(
    `load average at start (1/5/15 min): ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );

  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'primetime-bench-'));
  const removeTempDir = (): void => rmSync(tempDir, { recursive: true, force: true });
  // Nest's shutdown hooks close the apps on a signal and then end the process.
  // So the folder is removed first.
  process.once('SIGINT', removeTempDir);
  process.once('SIGTERM', removeTempDir);

  // autocannon stops each case after its duration. This timer only ends a run that hangs.
  const budgetMs = (cases.length * (durationSeconds + warmUpSeconds + 150) + 120) * 1000;
  setTimeout(() => {
    process.stderr.write(`bench timed out after ${budgetMs / 1000} s and was stopped\n`);
    runningChild?.kill('SIGKILL');
    removeTempDir();
    process.exit(1);
  }, budgetMs).unref();

  const overrides = {
    PORT: '0',
    HOST: '127.0.0.1',
    BCRYPT_COST: String(BCRYPT_COST),
    KEY_CACHE_TTL_SECONDS: '60',
    KEY_CACHE_MAX_ENTRIES: '10000',
    QUOTA_LIMIT: '5',
    QUOTA_PERIOD: 'day',
    PRIME_MAX_BITS: '4096',
    PRIME_TIMEOUT_MS: '10000',
    PRIME_WORKERS: '0',
    BODY_LIMIT_BYTES: '16384',
    LOG_LEVEL: 'warn',
  };

  const targets: Target[] = [];
  const rates = new Map<CaseId, number>();
  const delays = new Map<CaseId, DelayStats>();
  try {
    for (const engine of ['gmp', 'openssl'] as const) {
      targets.push(await startTarget(engine, tempDir, overrides));
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
      const url = `${target.baseUrl}${benchCase.path}`;
      // An unmeasured warm-up load, so the case order does not decide which route runs cold code.
      await runAutocannon(url, benchCase, target.key, caseConnections, warmUpSeconds);
      await drain(target.inFlight);

      const histogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
      histogram.enable();
      const result = await runAutocannon(
        url,
        benchCase,
        target.key,
        caseConnections,
        durationSeconds,
      );
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
          caseConnections,
          result.requests.average.toFixed(1),
          result.latency.p50.toFixed(1),
          result.latency.p99.toFixed(1),
          result.requests.total,
          result.non2xx,
          result.errors,
          ms(delay.p50),
          ms(delay.p99),
          ms(delay.max),
        ]),
      );
      const left = await drain(target.inFlight);
      if (left > 0) {
        notes.push(
          `${benchCase.name}: ${left} requests were still in flight ${DRAIN_TIMEOUT_MS / 1000} s after the case ended`,
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
    for (const target of targets) {
      await drain(target.inFlight);
      await target.app.close();
    }
    removeTempDir();
  }

  console.log(
    `load average at end (1/5/15 min): ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
