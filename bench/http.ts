/**
 * HTTP load benchmark. Starts the app in this process on 127.0.0.1 with a fresh SQLite file in a
 * temporary folder and mints one API key with a very high quota. Loads each case with autocannon
 * for a fixed time and prints one line per case. Then closes the app and deletes the folder.
 *
 *   npm run bench                                     10 s per case, 50 connections
 *   BENCH_DURATION=5 BENCH_CONNECTIONS=20 npm run bench
 *
 * It prints numbers only and asserts nothing about them.
 */
import 'reflect-metadata';

import { mkdtempSync, rmSync } from 'node:fs';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import autocannon from 'autocannon';

import { createApp } from '../src/app.factory.js';
import { loadEnvironment } from '../src/config/environment.js';
import { KeysService } from '../src/keys/keys.service.js';

interface BenchCase {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  authorized: boolean;
}

/** 2^2203 - 1, a Mersenne prime of 2203 bits (under the default PRIME_MAX_BITS of 4096). */
const MERSENNE_2203 = ((1n << 2203n) - 1n).toString();
/** 2^127 - 1, a Mersenne prime of 127 bits, above the deterministic Miller-Rabin bound. */
const MERSENNE_127 = ((1n << 127n) - 1n).toString();

const CASES: BenchCase[] = [
  { name: 'GET /docs-json (no auth)', method: 'GET', path: '/docs-json', authorized: false },
  { name: 'POST /get-current-time', method: 'POST', path: '/get-current-time', authorized: true },
  {
    name: 'POST /check-prime 2^127-1 (number)',
    method: 'POST',
    path: '/check-prime',
    body: `{"number": ${MERSENNE_127}}`,
    authorized: true,
  },
  {
    name: 'POST /check-prime 2^2203-1 (string)',
    method: 'POST',
    path: '/check-prime',
    body: `{"number": "${MERSENNE_2203}"}`,
    authorized: true,
  },
];

const BCRYPT_COST = 10;
const PREFLIGHT_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 60_000;

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

/** Sends the case once and throws unless the status is 2xx, so no load run measures an error. */
async function preflight(baseUrl: string, benchCase: BenchCase, key: string): Promise<void> {
  const response = await fetch(`${baseUrl}${benchCase.path}`, {
    method: benchCase.method,
    headers: headersFor(benchCase, key),
    body: benchCase.body,
    signal: AbortSignal.timeout(PREFLIGHT_TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(
      `${benchCase.name}: expected 2xx, got ${response.status}: ${text.slice(0, 300)}`,
    );
  }
}

/**
 * Counts requests whose handler has not yet written its response. When a case ends, autocannon
 * closes its connections, but the server still finishes the requests it had accepted, each after
 * its bcrypt compare. Waiting for them keeps them out of the next case and out of app.close().
 * A request counts as done when its response's end() is called, which Fastify does for HTTP/1
 * even after the client has gone. The wrapper costs one closure per request.
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

function pad(value: string | number, width: number, alignRight = true): string {
  const text = String(value);

  return alignRight ? text.padStart(width) : text.padEnd(width);
}

const COLUMNS = [
  ['case', 36, false],
  ['req/s', 9, true],
  ['p50 ms', 8, true],
  ['p99 ms', 8, true],
  ['requests', 9, true],
  ['non-2xx', 8, true],
  ['errors', 7, true],
] as const;

function row(values: (string | number)[]): string {
  return values.map((value, i) => pad(value, COLUMNS[i][1], COLUMNS[i][2])).join('  ');
}

async function main(): Promise<void> {
  const durationSeconds = positiveInteger('BENCH_DURATION', 10);
  const connections = positiveInteger('BENCH_CONNECTIONS', 50);

  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}`,
  );
  console.log(
    `settings: ${durationSeconds} s per case, ${connections} connections, BCRYPT_COST=${BCRYPT_COST}, ` +
      `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  );

  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'primetime-bench-'));
  const removeTempDir = (): void => rmSync(tempDir, { recursive: true, force: true });
  // Nest's shutdown hooks close the app on a signal and then end the process.
  // So the folder is removed first.
  process.once('SIGINT', removeTempDir);
  process.once('SIGTERM', removeTempDir);

  // autocannon stops each case after its duration. This timer only ends a run whose server hangs.
  const budgetMs = (CASES.length * (durationSeconds + 60) + 120) * 1000;
  setTimeout(() => {
    process.stderr.write(`bench timed out after ${budgetMs / 1000} s and was stopped\n`);
    removeTempDir();
    process.exit(1);
  }, budgetMs).unref();

  // Every variable is given, so a developer's .env or shell cannot change what is measured.
  const environment = loadEnvironment(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_PATH: path.join(tempDir, 'bench.sqlite'),
      BCRYPT_COST: String(BCRYPT_COST),
      QUOTA_LIMIT: '5',
      QUOTA_PERIOD: 'day',
      PRIME_MAX_BITS: '4096',
      BODY_LIMIT_BYTES: '16384',
      LOG_LEVEL: 'warn',
    },
    path.join(tempDir, 'no.env'),
  );

  const app = await createApp(environment);
  const inFlight = trackInFlight(app.getHttpServer());
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.getHttpServer().address() as AddressInfo;
    const baseUrl = `http://127.0.0.1:${port}`;
    const { key } = await app.get(KeysService).create({ name: 'bench', limit: 1e9, period: 'day' });

    console.log('');
    console.log(row(COLUMNS.map(([title]) => title)));
    for (const benchCase of CASES) {
      await preflight(baseUrl, benchCase, key);
      const result = await autocannon({
        url: `${baseUrl}${benchCase.path}`,
        method: benchCase.method,
        headers: headersFor(benchCase, key),
        body: benchCase.body,
        connections,
        duration: durationSeconds,
        timeout: 30,
      });
      console.log(
        row([
          benchCase.name,
          result.requests.average.toFixed(1),
          result.latency.p50.toFixed(1),
          result.latency.p99.toFixed(1),
          result.requests.total,
          result.non2xx,
          result.errors,
        ]),
      );
      const left = await drain(inFlight);
      if (left > 0) {
        console.log(
          `  ${left} requests were still in flight ${DRAIN_TIMEOUT_MS / 1000} s after the case ended`,
        );
      }
    }
  } finally {
    await drain(inFlight);
    await app.close();
    removeTempDir();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
