/**
 * Code shared by the HTTP benchmarks, http.ts and guard.ts. It runs autocannon's command-line
 * program as a child process, pinned to CPUs with taskset when BENCH_LOAD_CPUS is set. It serves
 * an app on the loopback interface and counts its in-flight requests. It also makes a run's
 * temporary folder and watchdog, reads settings from the environment and formats table rows.
 * prime.ts uses only the settings and error-reporting helpers.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** The fields of autocannon's --json result that the benchmarks print. */
export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** One autocannon run: the request it repeats, and for how long and over how many connections. */
export interface LoadRun {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  durationSeconds: number;
  /** Prefix of the error message when the run fails, such as the case's name. */
  label?: string;
}

/** A table column: title, width in characters, and whether values are aligned right. */
export type Column = readonly [title: string, width: number, alignRight: boolean];

/** An app listening on 127.0.0.1, with a count of its in-flight requests. */
export interface ServedApp {
  app: NestFastifyApplication;
  baseUrl: string;
  inFlight: () => number;
}

/** Environment variable with the CPU list (taskset -c syntax) that autocannon is pinned to. */
export const LOAD_CPUS_VARIABLE = 'BENCH_LOAD_CPUS';

/** Per-request timeout given to autocannon, in seconds. */
const REQUEST_TIMEOUT_SECONDS = 30;
/** Time given to autocannon beyond the run's duration before it is killed. */
const CHILD_GRACE_MS = 60_000;
const DRAIN_TIMEOUT_MS = 60_000;

const AUTOCANNON_CLI = createRequire(import.meta.url).resolve('autocannon');

/** Node code that prints /proc/self/status of the process that runs it, or nothing. */
const STATUS_PROBE =
  "try { process.stdout.write(require('node:fs').readFileSync('/proc/self/status', 'utf8')); } catch {}";

/**
 * Reads a positive integer setting from the environment, or returns the fallback when the
 * variable is unset or blank. Throws on any other value.
 */
export function positiveInteger(name: string, fallback: number): number {
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

/** Formats the 1, 5 and 15 minute load averages with two decimals, separated by spaces. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}

/** Returns the Cpus_allowed_list field of a Linux /proc/PID/status text, or "unknown". */
function cpusAllowed(status: string): string {
  return /^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1] ?? 'unknown';
}

/**
 * Returns the CPUs this process may run on, from /proc/self/status, or "unknown" where that file
 * cannot be read (outside Linux).
 */
export function ownCpuAffinity(): string {
  try {
    return cpusAllowed(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return 'unknown';
  }
}

/**
 * Describes the CPUs the server (this process) and the load generator may run on, for a bench's
 * header. availableParallelism follows this process's affinity, so it also sets the number of
 * prime worker threads when PRIME_WORKERS is 0.
 */
export function cpuAffinityLine(load: LoadGenerator): string {
  return (
    `CPU affinity: server (this process) ${ownCpuAffinity()}, availableParallelism ` +
    `${os.availableParallelism()}; load generator ${load.describe()}`
  );
}

/**
 * Starts autocannon's command-line program in child processes, one run at a time. When
 * BENCH_LOAD_CPUS is set, each child runs under `taskset -c <BENCH_LOAD_CPUS>`, so the load
 * generator stays off the CPUs given to the server.
 */
export class LoadGenerator {
  /** The child of the current run, killed by kill() when a bench's watchdog fires. */
  private running: ChildProcess | undefined;

  private constructor(
    /** CPU list for taskset -c, or undefined to leave the children unpinned. */
    readonly cpus: string | undefined,
    /** Cpus_allowed_list of a process started the way each autocannon child is started. */
    readonly affinity: string,
  ) {}

  /**
   * Reads BENCH_LOAD_CPUS and starts one short Node process the way autocannon will be started,
   * to learn its CPU affinity. Throws when BENCH_LOAD_CPUS is set and taskset is missing or
   * rejects the CPU list.
   */
  static fromEnvironment(): LoadGenerator {
    const raw = process.env[LOAD_CPUS_VARIABLE]?.trim();
    const cpus = raw === undefined || raw === '' ? undefined : raw;
    const probe = spawnSync(...commandFor(cpus, ['-e', STATUS_PROBE]), { encoding: 'utf8' });
    const notFound =
      probe.error !== undefined && 'code' in probe.error && probe.error.code === 'ENOENT';
    if (cpus !== undefined && notFound) {
      throw new Error(
        `${LOAD_CPUS_VARIABLE}=${cpus} needs taskset, which was not found on PATH. Install it ` +
          `(Debian package util-linux) or unset ${LOAD_CPUS_VARIABLE} to run unpinned.`,
      );
    }
    if (probe.error !== undefined || probe.status !== 0) {
      const reason =
        probe.error?.message ??
        `${probe.stderr.trim()} (exit ${probe.signal ?? `code ${String(probe.status)}`})`;
      throw new Error(
        cpus === undefined
          ? `failed to start ${process.execPath}: ${reason}`
          : `invalid ${LOAD_CPUS_VARIABLE}: taskset -c ${cpus} failed: ${reason}`,
      );
    }

    return new LoadGenerator(cpus, cpusAllowed(probe.stdout));
  }

  /** Describes where the load generator runs, for a bench's header. */
  describe(): string {
    return this.cpus === undefined
      ? `${this.affinity} (not pinned; set ${LOAD_CPUS_VARIABLE} to pin it)`
      : `${this.affinity} (taskset -c ${this.cpus}, from ${LOAD_CPUS_VARIABLE})`;
  }

  /**
   * Runs autocannon with --json for one run and returns its result. Kills the child if it runs
   * CHILD_GRACE_MS past the run's duration.
   */
  run(load: LoadRun): Promise<AutocannonResult> {
    const args = [
      AUTOCANNON_CLI,
      '--json',
      '--connections',
      String(load.connections),
      '--duration',
      String(load.durationSeconds),
      '--timeout',
      String(REQUEST_TIMEOUT_SECONDS),
      '--method',
      load.method,
      ...Object.entries(load.headers).flatMap(([name, value]) => ['--headers', `${name}=${value}`]),
      ...(load.body === undefined ? [] : ['--body', load.body]),
      load.url,
    ];
    const prefix = load.label === undefined ? '' : `${load.label}: `;

    return new Promise((resolve, reject) => {
      const child = spawn(...commandFor(this.cpus, args), { stdio: ['ignore', 'pipe', 'pipe'] });
      this.running = child;
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const killTimer = setTimeout(
        () => child.kill('SIGKILL'),
        load.durationSeconds * 1000 + CHILD_GRACE_MS,
      );
      child.on('error', (error) => {
        clearTimeout(killTimer);
        reject(error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(killTimer);
        this.running = undefined;
        const lastLine = stdout.trim().split('\n').pop() ?? '';
        if (code !== 0 || !lastLine.startsWith('{')) {
          reject(
            new Error(
              `${prefix}autocannon exited with ${signal ?? `code ${String(code)}`}: ` +
                `${stderr.slice(0, 500)}${stdout.slice(0, 500)}`,
            ),
          );
          return;
        }
        resolve(JSON.parse(lastLine) as AutocannonResult);
      });
    });
  }

  /** Kills the child of the current run, if any. */
  kill(): void {
    this.running?.kill('SIGKILL');
  }
}

/**
 * Returns the command and arguments that run Node with the given arguments, under
 * `taskset -c <cpus>` when cpus is set. taskset sets the affinity and then execs Node, so the
 * child keeps its process id.
 */
function commandFor(cpus: string | undefined, nodeArgs: string[]): [string, string[]] {
  return cpus === undefined
    ? [process.execPath, nodeArgs]
    : ['taskset', ['-c', cpus, process.execPath, ...nodeArgs]];
}

/**
 * Counts requests whose handler has not yet written its response. When a run ends, autocannon
 * closes its connections, but the server still finishes the requests it had accepted. Waiting
 * for them keeps them out of the next run and out of app.close(). A request counts as done when
 * its response's end() is called, which Fastify does for HTTP/1 even after the client has gone.
 * The wrapper costs one closure per request.
 */
export function trackInFlight(server: Server): () => number {
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
export async function drain(inFlight: () => number): Promise<number> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (inFlight() > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return inFlight();
}

/** Seconds that drain() waits at most. */
export const DRAIN_TIMEOUT_SECONDS = DRAIN_TIMEOUT_MS / 1000;

/**
 * Configuration variables that both HTTP benchmarks give every app, so a developer's .env file or
 * shell cannot change what is measured. Each bench adds the database path and its own values.
 */
export const BENCH_ENVIRONMENT: Readonly<Record<string, string>> = {
  PORT: '0',
  HOST: '127.0.0.1',
  ADMIN_TOKEN: '',
  BCRYPT_COST: '10',
  AUTH_FAILURE_LIMIT: '10',
  AUTH_FAILURE_WINDOW_SECONDS: '60',
  KEY_CACHE_TTL_SECONDS: '60',
  KEY_CACHE_MAX_ENTRIES: '10000',
  KEY_ROW_CACHE_MS: '1000',
  QUOTA_HOURLY_LIMIT: 'none',
  QUOTA_DAILY_LIMIT: '5',
  BURST_LIMIT: '1000000',
  BURST_WINDOW_MS: '1000',
  TRUST_PROXY: 'false',
  DATABASE_URL: '',
  DATABASE_POOL_SIZE: '10',
  REDIS_URL: '',
  WORKERS: '1',
  METER_CURRENT_TIME: 'false',
  PRIME_MAX_BITS: '4096',
  PRIME_TIMEOUT_MS: '10000',
  PRIME_WORKERS: '0',
  PRIME_ENGINE: 'gmp',
  BODY_LIMIT_BYTES: '16384',
  LOG_LEVEL: 'warn',
};

/** Starts the app on 127.0.0.1 with a free port and counts its in-flight requests. */
export async function serveOnLoopback(app: NestFastifyApplication): Promise<ServedApp> {
  const inFlight = trackInFlight(app.getHttpServer());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;

  return { app, baseUrl: `http://127.0.0.1:${port}`, inFlight };
}

/** Waits for each app's in-flight requests, up to DRAIN_TIMEOUT_MS each, then closes it. */
export async function closeApps(served: Iterable<ServedApp>): Promise<void> {
  for (const { app, inFlight } of served) {
    await drain(inFlight);
    await app.close();
  }
}

/**
 * Makes a temporary folder for a run's SQLite files and returns it with a function that deletes
 * it. The folder is also deleted on SIGINT and SIGTERM, before Nest's shutdown hooks close the
 * apps and end the process. If the run has not finished after budgetMs, a watchdog kills the
 * current autocannon child, deletes the folder and ends the process with exit code 1. autocannon
 * stops each run after its duration, so the watchdog only ends a run that hangs.
 */
export function prepareRun(
  tempPrefix: string,
  budgetMs: number,
  load: LoadGenerator,
): { tempDir: string; removeTempDir: () => void } {
  const tempDir = mkdtempSync(path.join(os.tmpdir(), tempPrefix));
  const removeTempDir = (): void => rmSync(tempDir, { recursive: true, force: true });
  process.once('SIGINT', removeTempDir);
  process.once('SIGTERM', removeTempDir);
  setTimeout(() => {
    process.stderr.write(`bench timed out after ${budgetMs / 1000} s and was stopped\n`);
    load.kill();
    removeTempDir();
    process.exit(1);
  }, budgetMs).unref();

  return { tempDir, removeTempDir };
}

/** Runs a bench's main function and, if it fails, prints the error and sets exit code 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}

/** Pads a value to width characters, on the left when alignRight is true. */
export function pad(value: string | number, width: number, alignRight = true): string {
  const text = String(value);

  return alignRight ? text.padStart(width) : text.padEnd(width);
}

/** The columns of one autocannon result, in the order loadCells() returns them. */
export const LOAD_COLUMNS: readonly Column[] = [
  ['conns', 5, true],
  ['req/s', 9, true],
  ['p50 ms', 7, true],
  ['p99 ms', 7, true],
  ['requests', 8, true],
  ['non-2xx', 7, true],
  ['errors', 6, true],
];

/** Returns the cells of LOAD_COLUMNS for one autocannon result. */
export function loadCells(connections: number, result: AutocannonResult): (string | number)[] {
  return [
    connections,
    result.requests.average.toFixed(1),
    result.latency.p50.toFixed(1),
    result.latency.p99.toFixed(1),
    result.requests.total,
    result.non2xx,
    result.errors,
  ];
}

/** Formats one table row: each value padded to its column's width, columns two spaces apart. */
export function formatRow(columns: readonly Column[], values: (string | number)[]): string {
  return values.map((value, i) => pad(value, columns[i][1], columns[i][2])).join('  ');
}
