/**
 * Scale-out benchmark: requests per second of metered POST /check-prime, where every call runs the
 * atomic quota charge, in three set-ups measured in one run:
 *
 * 1. `sqlite-1`: one server process on a SQLite file (WORKERS=1).
 * 2. `sqlite-cluster-2`: WORKERS=2 on a SQLite file, two processes sharing one port through Node's
 *    cluster module.
 * 3. `pg-redis-2`: two server processes (WORKERS=1 each) on two ports, sharing one PostgreSQL
 *    database and one Redis. The load generator splits its connections between the two ports.
 *
 * Each server is `node dist/src/main.js` in a child process, on 127.0.0.1, with its working folder
 * in a temporary folder so no .env file is read. Each set-up gets a key that the CLI mints with no
 * hourly and no daily limit. Such a key is still charged, with one UPDATE per call. The set-ups take
 * turns within each round, in an order that rotates from round to round, so a change in the
 * machine's load falls on all of them alike. autocannon runs in this process, which does nothing
 * else during a run, so this process's CPU time is the load generator's CPU time.
 *
 *   npm run bench:scale                          builds, then runs node dist/bench/scale.js
 *   BENCH_SECONDS=3 BENCH_ROUNDS=1 npm run bench:scale
 *
 * Settings, with their defaults:
 * - BENCH_SECONDS (10): measured seconds per run.
 * - BENCH_WARMUP (2): unmeasured seconds of the same load before each run.
 * - BENCH_ROUNDS (5): measured runs per set-up.
 * - BENCH_CONNECTIONS (64, even): connections of the load generator.
 * - BENCH_INPUT (127): the /check-prime input, 127 for 2^127-1 or 512 for the 512-bit prime of
 *   bench/large-primes.ts.
 * - DATABASE_URL (postgres://root@127.0.0.1:5432/test): the PostgreSQL server on which set-up 3
 *   creates its database, which it drops at the end.
 * - REDIS_URL (redis://127.0.0.1:6379): the Redis of set-up 3.
 * Set-up 3 is skipped, with a message, when PostgreSQL or Redis cannot be reached.
 *
 * Stops with exit code 1 if any response is not 2xx, any request fails, or the quota charged is
 * lower than the 2xx responses counted.
 */
import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AddressInfo, createServer, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pg from 'pg';

import { redactUrl } from '../src/config/environment.js';
import { LARGE_PRIMES } from './large-primes.js';
import type { Column } from './load.js';
import {
  BENCH_ENVIRONMENT,
  formatRow,
  loadAverage,
  ownCpuAffinity,
  pad,
  positiveInteger,
  runBench,
} from './load.js';

type SetupId = 'sqlite-1' | 'sqlite-cluster-2' | 'pg-redis-2';

/** Location of a set-up's database, for the CLI, the servers and the charge check. */
type DatabaseTarget = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };

interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** The last lines the process wrote to stdout and stderr, shown when it fails. */
  output: () => string;
  exited: Promise<void>;
}

interface Setup {
  id: SetupId;
  description: string;
  database: DatabaseTarget;
  servers: ServerProcess[];
  urls: string[];
  key: string;
  keyId: string;
  /** 2xx responses counted by preflight and autocannon, warm-ups included. */
  counted2xx: number;
  /** daily_window_start of the key when counting began. The charge check needs the same window. */
  dailyWindowStart: number;
}

interface CpuSample {
  /** CPU ticks of each server process, a cluster's primary and workers each on their own, by pid. */
  servers: Map<number, number>;
  /** CPU ticks of each PostgreSQL and Redis server process on this machine, by pid. */
  stores: Map<number, number>;
  /** Busy ticks of the whole machine, from /proc/stat. */
  machineBusy: number;
  /** CPU time of this process, in microseconds. */
  own: NodeJS.CpuUsage;
  atMs: number;
}

interface RunResult {
  round: number;
  setup: SetupId;
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Cores used by each server process, averaged over the run, or undefined without /proc. */
  serverCores?: number[];
  loadCores: number;
  /** Cores used by the local PostgreSQL and Redis processes, including work for other clients. */
  storeCores?: number;
  otherCores?: number;
}

const MAIN_JS = fileURLToPath(new URL('../src/main.js', import.meta.url));
const CLI_JS = fileURLToPath(new URL('../src/cli.js', import.meta.url));

const DEFAULT_DATABASE_URL = 'postgres://root@127.0.0.1:5432/test';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The inputs BENCH_INPUT selects. Both are above the range of the fixed-base Miller-Rabin test and
 * at most MAIN_THREAD_MAX_BITS (512) bits, so GMP decides them on the server's event loop. No
 * worker thread takes part, and a server process uses one core for its tests.
 */
const INPUTS: Record<string, { label: string; body: string }> = {
  '127': {
    label: '2^127-1 (127 bits, GMP on the event loop)',
    body: `{"number": "${((1n << 127n) - 1n).toString()}"}`,
  },
  '512': {
    label: 'the 512-bit prime of bench/large-primes.ts (GMP on the event loop)',
    body: `{"number": "${LARGE_PRIMES[512].toString()}"}`,
  },
};

const STARTUP_TIMEOUT_MS = 60_000;
const SHUTDOWN_TIMEOUT_MS = 5_000;
/** Extra time after SIGTERM, beyond the server's own drain timeout, before SIGKILL. */
const KILL_GRACE_MS = 10_000;
const PREFLIGHT_REQUESTS = 3;
const REQUEST_TIMEOUT_MS = 30_000;
const PROBE_TIMEOUT_MS = 3_000;
const OUTPUT_LINES_KEPT = 40;

const execFileAsync = promisify(execFile);

/** Clock ticks per second of /proc's CPU times: `getconf CLK_TCK`, or 100, the Linux default. */
const CLOCK_TICKS = ((): number => {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(result.stdout?.trim());

  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

// ----- server processes -----

/** Returns a TCP port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Environment of a server or CLI process on `database`, with nothing inherited that sets one. */
function environmentFor(
  database: DatabaseTarget,
  redisUrl: string | undefined,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...BENCH_ENVIRONMENT,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    BURST_LIMIT: '1000000',
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    DATABASE_PATH: database.engine === 'sqlite' ? database.path : 'unused.sqlite',
    DATABASE_URL: database.engine === 'postgres' ? database.url : '',
    REDIS_URL: redisUrl ?? '',
    ...extra,
  };
}

/**
 * Starts `node dist/src/main.js` on a free port. The environment clears any DATABASE_URL or
 * REDIS_URL of this process unless the set-up gives one.
 */
function spawnServer(
  database: DatabaseTarget,
  redisUrl: string | undefined,
  workers: number,
  workingDir: string,
  port: number,
): ServerProcess {
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: workingDir,
    env: environmentFor(database, redisUrl, { PORT: String(port), WORKERS: String(workers) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: string): void => {
    lines.push(...chunk.split('\n').filter((line) => line.trim() !== ''));
    lines.splice(0, Math.max(0, lines.length - OUTPUT_LINES_KEPT));
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return { child, port, output: () => lines.join('\n'), exited };
}

/**
 * Waits until GET /health returns 200. Under WORKERS=2 that means one worker is listening, and the
 * warm-up before each run gives the other time to start.
 */
async function waitUntilHealthy(server: ServerProcess): Promise<void> {
  const { child, port } = server;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `server on port ${port} exited with ${child.signalCode ?? `code ${child.exitCode}`} ` +
          `before it was ready:\n${server.output()}`,
      );
    }
    if (await isHealthy(port)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `server on port ${port} was not healthy within ${STARTUP_TIMEOUT_MS / 1000} s:\n${server.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function isHealthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await response.text();
    return response.ok;
  } catch {
    return false;
  }
}

/** Sends SIGTERM to the server's pid, and SIGKILL if it has not exited after the grace period. */
async function stopServer(server: ServerProcess): Promise<void> {
  const { child } = server;
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  if (!running() || child.pid === undefined) {
    return;
  }

  const pid = child.pid;
  sendSignal(pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (running()) {
      process.stderr.write(`server ${pid} did not stop after SIGTERM; sending SIGKILL\n`);
      sendSignal(pid, 'SIGKILL');
    }
  }, SHUTDOWN_TIMEOUT_MS + KILL_GRACE_MS);
  await server.exited;
  clearTimeout(timer);
}

/** Sends a signal to a pid, ignoring ESRCH: the process may have exited on its own meanwhile. */
function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw error;
    }
  }
}

// ----- keys and databases -----

/** Mints a key with no hourly and no daily limit with the CLI, and returns the key and its id. */
async function mintKey(
  database: DatabaseTarget,
  workingDir: string,
): Promise<{ key: string; id: string }> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [
      CLI_JS,
      'keys',
      'create',
      '--name',
      'bench',
      '--hourly-limit',
      'none',
      '--daily-limit',
      'none',
      '--json',
    ],
    { cwd: workingDir, env: environmentFor(database, undefined) },
  );
  const created = JSON.parse(stdout) as { key?: unknown; id?: unknown; quotas?: unknown };
  if (typeof created.key !== 'string' || typeof created.id !== 'string') {
    throw new Error(`keys create --json printed no key and id: ${stdout.slice(0, 300)}`);
  }

  return { key: created.key, id: created.id };
}

/** Reads the key's daily usage and window start straight from its database. */
async function dailyUsage(
  database: DatabaseTarget,
  keyId: string,
): Promise<{ used: number; windowStart: number }> {
  const sql = 'SELECT daily_used, daily_window_start FROM api_keys WHERE id = ';
  let row: Record<string, unknown> | undefined;
  if (database.engine === 'sqlite') {
    const connection = new Database(database.path, { readonly: true });
    try {
      row = connection.prepare(`${sql}?`).get(keyId) as Record<string, unknown> | undefined;
    } finally {
      connection.close();
    }
  } else {
    row = (await onPostgres(database.url, (client) => client.query(`${sql}$1`, [keyId]))).rows[0];
  }
  if (!row) {
    throw new Error(`key ${keyId} not found in its database`);
  }

  return { used: Number(row.daily_used), windowStart: Number(row.daily_window_start) };
}

async function onPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Sends PING to the Redis at `url` and resolves with the reason it failed, or undefined. */
function pingRedis(url: string): Promise<string | undefined> {
  const { hostname, port } = new URL(url);

  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const finish = (reason: string | undefined): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(`no reply within ${PROBE_TIMEOUT_MS} ms`));
    socket.once('error', (error) => finish(error.message));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) {
        finish(reply.startsWith('+PONG') ? undefined : `PING returned ${reply.trim()}`);
      }
    });
    socket.connect(Number(port || 6379), hostname.replace(/^\[|\]$/g, ''), () => {
      socket.write('PING\r\n');
    });
  });
}

/**
 * Creates an empty database on the PostgreSQL server of `serverUrl` and returns its URL, or throws
 * when the server cannot be reached.
 */
async function createPostgresDatabase(serverUrl: string): Promise<{ name: string; url: string }> {
  const name = `primetime_bench_${randomBytes(6).toString('hex')}`;
  await onPostgres(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;

  return { name, url: url.toString() };
}

async function dropPostgresDatabase(serverUrl: string, name: string): Promise<void> {
  await onPostgres(serverUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  );
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Returns why PostgreSQL or Redis cannot be used, or undefined when both respond. */
async function sharedStoresUnreachable(
  postgresUrl: string,
  redisUrl: string,
): Promise<string | undefined> {
  try {
    await onPostgres(postgresUrl, (client) => client.query('SELECT 1'));
  } catch (error) {
    return `PostgreSQL at ${redactUrl(postgresUrl)} cannot be reached (${describeError(error)}). Set DATABASE_URL to a server where this user may create databases.`;
  }

  const redisFailure = await pingRedis(redisUrl);
  return redisFailure === undefined
    ? undefined
    : `Redis at ${redactUrl(redisUrl)} cannot be reached (${redisFailure}). Set REDIS_URL to a reachable Redis server.`;
}

/**
 * Checks that each key was charged at least once per 2xx response counted. A run that stops
 * leaves requests in flight that the servers still complete and charge, so the charge may be higher
 * by up to one request per connection and run. Skipped for a key whose daily window rolled over.
 */
async function checkCharges(setups: Setup[]): Promise<void> {
  for (const setup of setups) {
    const usage = await dailyUsage(setup.database, setup.keyId);
    if (usage.windowStart !== setup.dailyWindowStart) {
      console.log(
        `${setup.id}: the UTC day changed during the run, so the charges were not compared`,
      );
      continue;
    }
    if (usage.used < setup.counted2xx) {
      throw new Error(
        `${setup.id}: ${setup.counted2xx} calls returned 2xx but the key was charged only ${usage.used}`,
      );
    }
    console.log(
      `${setup.id}: 2xx responses counted ${setup.counted2xx}, quota units charged ${usage.used}`,
    );
  }
}

// ----- CPU accounting from /proc -----

/** Returns utime + stime of one process, all its threads, in clock ticks, or 0 once it is gone. */
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Returns the pids of a process's children, from /proc/PID/task/PID/children. */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((text) => text !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** Returns busy ticks of all CPUs together: everything in /proc/stat but idle and iowait. */
function machineBusyTicks(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // Fields: user nice system idle iowait irq softirq steal ...
    const [user, nice, system, , , irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return user + nice + system + irq + softirq + steal;
  } catch {
    return Number.NaN;
  }
}

/**
 * Returns the CPU ticks of every process whose command name (/proc/PID/comm) is `postgres` or
 * `redis-server`, by pid. PostgreSQL runs one such process per connection.
 */
function storeTicks(): Map<number, number> {
  const ticks = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return ticks;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const command = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (command === 'postgres' || command === 'redis-server') {
        ticks.set(Number(entry), processTicks(Number(entry)));
      }
    } catch {
      // The process ended between readdir and read.
    }
  }

  return ticks;
}

function sampleCpu(pids: number[]): CpuSample {
  return {
    servers: new Map(
      pids.flatMap((pid) => [pid, ...childPids(pid)]).map((pid) => [pid, processTicks(pid)]),
    ),
    stores: storeTicks(),
    machineBusy: machineBusyTicks(),
    own: process.cpuUsage(),
    atMs: Date.now(),
  };
}

/** Per-process server cores, load-generator cores and other cores between two samples. */
function coresBetween(
  before: CpuSample,
  after: CpuSample,
): Pick<RunResult, 'serverCores' | 'loadCores' | 'storeCores' | 'otherCores'> {
  const seconds = (after.atMs - before.atMs) / 1000;
  const ownMicroseconds = after.own.user + after.own.system - (before.own.user + before.own.system);
  const loadCores = ownMicroseconds / 1e6 / seconds;
  if (!Number.isFinite(after.machineBusy) || !Number.isFinite(before.machineBusy)) {
    return { loadCores };
  }

  const serverCores = [...after.servers].map(
    ([pid, ticks]) => (ticks - (before.servers.get(pid) ?? 0)) / CLOCK_TICKS / seconds,
  );
  // A store process that ended between the samples is missing from both totals.
  const storeTicksUsed = [...after.stores].reduce(
    (total, [pid, ticks]) => total + ticks - (before.stores.get(pid) ?? 0),
    0,
  );
  const storeCores = storeTicksUsed / CLOCK_TICKS / seconds;
  const machineCores = (after.machineBusy - before.machineBusy) / CLOCK_TICKS / seconds;
  const serverTotal = serverCores.reduce((total, cores) => total + cores, 0);

  return {
    serverCores,
    loadCores,
    storeCores,
    otherCores: machineCores - serverTotal - loadCores - storeCores,
  };
}

// ----- load -----

function headers(key: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: key };
}

/**
 * Sends the input to each URL a few times, one at a time, and throws unless every response is 200
 * with isPrime true. Returns the `method` field of the last response.
 */
async function preflight(setup: Setup, body: string): Promise<string> {
  let method = '';
  for (const url of setup.urls) {
    for (let i = 0; i < PREFLIGHT_REQUESTS; i++) {
      const response = await fetch(url, {
        method: 'POST',
        headers: headers(setup.key),
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      const parsed = (response.ok ? JSON.parse(text) : {}) as {
        isPrime?: unknown;
        method?: unknown;
      };
      if (response.status !== 200 || parsed.isPrime !== true) {
        throw new Error(
          `${setup.id}: expected 200 with isPrime true from ${url}, got ${response.status}: ${text.slice(0, 300)}`,
        );
      }
      method = String(parsed.method);
      setup.counted2xx++;
    }
  }

  return method;
}

/** Runs autocannon in this process against every URL of the set-up, alternating connections. */
async function runLoad(
  setup: Setup,
  body: string,
  connections: number,
  seconds: number,
): Promise<autocannon.Result> {
  const result = await autocannon({
    // autocannon 9 takes an array of URLs and gives connection i the URL i % urls.length, but
    // @types/autocannon declares a string.
    url: setup.urls as unknown as string,
    method: 'POST',
    headers: headers(setup.key),
    body,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: REQUEST_TIMEOUT_MS / 1000,
  });
  setup.counted2xx += result['2xx'];

  return result;
}

/** Runs the unmeasured warm-up, then the measured run, and records the CPU use around it. */
async function measure(setup: Setup, round: number, settings: Settings): Promise<RunResult> {
  const { input, connections } = settings;
  await runLoad(setup, input.body, connections, settings.warmUpSeconds);

  const pids = setup.servers.map((server) => server.child.pid!);
  const before = sampleCpu(pids);
  const result = await runLoad(setup, input.body, connections, settings.seconds);
  const after = sampleCpu(pids);

  return {
    round,
    setup: setup.id,
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    ...coresBetween(before, after),
  };
}

// ----- output -----

const COLUMNS: readonly Column[] = [
  ['round', 5, false],
  ['set-up', 16, false],
  ['req/s', 9, true],
  ['p50 ms', 7, true],
  ['p99 ms', 7, true],
  ['requests', 8, true],
  ['non-2xx', 7, true],
  ['errors', 6, true],
  ['server cores', 12, true],
  ['load gen cores', 14, true],
  ['pg+redis cores', 14, true],
  ['other cores', 11, true],
];

function cores(value: number | undefined): string {
  return value === undefined ? 'n/a' : value.toFixed(2);
}

function resultRow(run: RunResult): string {
  const serverCores =
    run.serverCores === undefined
      ? 'n/a'
      : run.serverCores.map((value) => value.toFixed(2)).join('+');

  return formatRow(COLUMNS, [
    run.round,
    run.setup,
    run.requestsPerSecond.toFixed(1),
    run.p50.toFixed(1),
    run.p99.toFixed(1),
    run.total,
    run.non2xx,
    run.errors,
    serverCores,
    cores(run.loadCores),
    cores(run.storeCores),
    cores(run.otherCores),
  ]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);

  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function printSummary(runs: RunResult[], setups: Setup[]): void {
  const runsOf = (id: SetupId): RunResult[] => runs.filter((run) => run.setup === id);
  const baseline = median(runsOf('sqlite-1').map((run) => run.requestsPerSecond));

  console.log('');
  console.log('per set-up, over the rounds:');
  for (const setup of setups) {
    const own = runsOf(setup.id);
    const rates = own.map((run) => run.requestsPerSecond);
    const rate = median(rates);
    const perRound = own.map((run) => {
      const base = runs.find((other) => other.round === run.round && other.setup === 'sqlite-1');
      return base ? (run.requestsPerSecond / base.requestsPerSecond).toFixed(2) : 'n/a';
    });
    const serverCores = own.flatMap((run) => (run.serverCores ? [sum(run.serverCores)] : []));
    const efficiency = own.flatMap((run) =>
      run.serverCores ? [run.requestsPerSecond / sum(run.serverCores)] : [],
    );
    console.log(`  ${pad(setup.id, 16, false)} ${setup.description}`);
    console.log(
      `    median req/s ${rate.toFixed(1)}, ratio to sqlite-1 ${(rate / baseline).toFixed(2)}; ` +
        `each round: ${rates.map((value) => value.toFixed(1)).join(', ')}; ` +
        `ratio to sqlite-1 of the same round: ${perRound.join(', ')}`,
    );
    console.log(
      `    non-2xx ${sum(own.map((run) => run.non2xx))}, errors ${sum(own.map((run) => run.errors))}, ` +
        `timeouts ${sum(own.map((run) => run.timeouts))}` +
        (serverCores.length > 0
          ? `; server cores, median ${median(serverCores).toFixed(2)}; requests per server ` +
            `CPU-second, median ${median(efficiency).toFixed(0)}`
          : ''),
    );
  }
}

/**
 * Prints where the machine's CPU time went during each set-up's runs, so a reader can tell a rate
 * capped by the cores left to the servers from one capped by the servers themselves.
 */
function printCpuNotes(runs: RunResult[], setups: Setup[]): void {
  if (runs.some((run) => run.serverCores === undefined)) {
    console.log('');
    console.log('CPU use: not measured, because /proc could not be read');
    return;
  }

  const machineCores = os.availableParallelism();
  const medianOf = (id: SetupId, value: (run: RunResult) => number): number =>
    median(runs.filter((run) => run.setup === id).map(value));
  const serverCores = (run: RunResult): number => sum(run.serverCores!);
  const efficiency = (id: SetupId): number =>
    medianOf(id, (run) => run.requestsPerSecond / serverCores(run));
  const baseEfficiency = efficiency('sqlite-1');

  console.log('');
  console.log(`CPU use in cores, medians over the rounds; the machine has ${machineCores}:`);
  for (const setup of setups) {
    const total = medianOf(
      setup.id,
      (run) => serverCores(run) + run.loadCores + run.storeCores! + run.otherCores!,
    );
    console.log(
      `  ${pad(setup.id, 16, false)} servers ${medianOf(setup.id, serverCores).toFixed(2)}, ` +
        `load generator ${medianOf(setup.id, (run) => run.loadCores).toFixed(2)}, ` +
        `PostgreSQL and Redis ${medianOf(setup.id, (run) => run.storeCores!).toFixed(2)}, ` +
        `other processes ${medianOf(setup.id, (run) => run.otherCores!).toFixed(2)}; ` +
        `total ${total.toFixed(2)} (${((total / machineCores) * 100).toFixed(0)} %). ` +
        `Requests per server CPU-second: ${(efficiency(setup.id) / baseEfficiency).toFixed(2)}x sqlite-1`,
    );
  }
  console.log(
    "  servers: CPU time of each server process and its children (a cluster's primary and " +
      'workers) over the run time. load generator: CPU time of this process. PostgreSQL and ' +
      'Redis: processes named postgres or redis-server, whoever sent them work. other: the rest ' +
      "of the machine's busy time in /proc/stat. When the total is near the machine's cores, " +
      'the rate is capped by the cores left to the servers, not by the servers alone.',
  );
}

// ----- main -----

interface Settings {
  seconds: number;
  warmUpSeconds: number;
  rounds: number;
  connections: number;
  input: { label: string; body: string };
  postgresServerUrl: string;
  redisUrl: string;
}

function readSettings(): Settings {
  const connections = positiveInteger('BENCH_CONNECTIONS', 64);
  if (connections % 2 !== 0) {
    throw new Error(
      `invalid BENCH_CONNECTIONS: expected an even number, so that two ports get the same share, got ${connections}`,
    );
  }
  const inputName = process.env.BENCH_INPUT?.trim() || '127';
  const input = INPUTS[inputName];
  if (!input) {
    throw new Error(
      `invalid BENCH_INPUT: expected one of ${Object.keys(INPUTS).join(', ')}, got "${inputName}"`,
    );
  }

  return {
    seconds: positiveInteger('BENCH_SECONDS', 10),
    warmUpSeconds: positiveInteger('BENCH_WARMUP', 2),
    rounds: positiveInteger('BENCH_ROUNDS', 5),
    connections,
    input,
    postgresServerUrl: process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL,
    redisUrl: process.env.REDIS_URL?.trim() || DEFAULT_REDIS_URL,
  };
}

function autocannonVersion(): string {
  const packageJson = createRequire(import.meta.url).resolve('autocannon/package.json');

  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

function printHeader(settings: Settings): void {
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores (availableParallelism ` +
      `${os.availableParallelism()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  console.log(
    `settings: metered POST /check-prime with ${settings.input.label}; ${settings.seconds} s per ` +
      `run after a ${settings.warmUpSeconds} s unmeasured warm-up; ${settings.connections} ` +
      `connections, pipelining 1; ${settings.rounds} measured runs per set-up`,
  );
  console.log(
    `load generator: autocannon ${autocannonVersion()} in this process (pid ${process.pid}); ` +
      `servers: node dist/src/main.js in child processes; CPU affinity of this process and the ` +
      `servers ${ownCpuAffinity()}`,
  );
  console.log(`load average at start (1/5/15 min): ${loadAverage()}`);
}

/**
 * Resources that a run has started or created: the temporary folder, every server process as soon as it is
 * spawned, and the PostgreSQL database. `release` stops and deletes them all.
 */
class RunResources {
  readonly workingDir = mkdtempSync(path.join(os.tmpdir(), 'primetime-bench-scale-'));
  readonly servers: ServerProcess[] = [];
  postgresDatabase: { serverUrl: string; name: string } | undefined;

  async release(): Promise<void> {
    for (const server of this.servers) {
      await stopServer(server);
    }
    const database = this.postgresDatabase;
    if (database !== undefined) {
      await dropPostgresDatabase(database.serverUrl, database.name).catch((error: unknown) =>
        process.stderr.write(
          `failed to drop PostgreSQL database ${database.name}: ${describeError(error)}\n`,
        ),
      );
    }
    rmSync(this.workingDir, { recursive: true, force: true });
  }
}

/** Starts the three set-ups, or the two on SQLite when PostgreSQL or Redis cannot be reached. */
async function startSetups(settings: Settings, resources: RunResources): Promise<Setup[]> {
  const { workingDir } = resources;
  const start = async (
    database: DatabaseTarget,
    redisUrl: string | undefined,
    workers: number,
  ): Promise<ServerProcess> => {
    const server = spawnServer(database, redisUrl, workers, workingDir, await freePort());
    resources.servers.push(server);
    await waitUntilHealthy(server);
    return server;
  };

  const setups: Setup[] = [];
  const sqliteOne = sqliteTarget(workingDir, 'one');
  setups.push(
    await prepareSetup(
      'sqlite-1',
      'one process, WORKERS=1, SQLite',
      sqliteOne,
      workingDir,
      async () => [await start(sqliteOne, undefined, 1)],
    ),
  );

  const sqliteCluster = sqliteTarget(workingDir, 'cluster');
  setups.push(
    await prepareSetup(
      'sqlite-cluster-2',
      'WORKERS=2 on one port, SQLite',
      sqliteCluster,
      workingDir,
      async () => [await start(sqliteCluster, undefined, 2)],
    ),
  );

  const unreachable = await sharedStoresUnreachable(settings.postgresServerUrl, settings.redisUrl);
  if (unreachable !== undefined) {
    console.log(`set-up pg-redis-2 skipped: ${unreachable}`);
    return setups;
  }

  const created = await createPostgresDatabase(settings.postgresServerUrl);
  resources.postgresDatabase = { serverUrl: settings.postgresServerUrl, name: created.name };
  const shared: DatabaseTarget = { engine: 'postgres', url: created.url };
  setups.push(
    await prepareSetup(
      'pg-redis-2',
      'two processes on two ports, one PostgreSQL and one Redis',
      shared,
      workingDir,
      async () => [
        await start(shared, settings.redisUrl, 1),
        await start(shared, settings.redisUrl, 1),
      ],
    ),
  );

  return setups;
}

function sqliteTarget(workingDir: string, name: string): DatabaseTarget {
  return { engine: 'sqlite', path: path.join(workingDir, `${name}.sqlite`) };
}

async function prepareSetup(
  id: SetupId,
  description: string,
  database: DatabaseTarget,
  workingDir: string,
  start: () => Promise<ServerProcess[]>,
): Promise<Setup> {
  // The CLI applies the migrations, so the servers of a set-up start on a ready schema.
  const { key, id: keyId } = await mintKey(database, workingDir);
  const servers = await start();

  return {
    id,
    description,
    database,
    servers,
    urls: servers.map((server) => `http://127.0.0.1:${server.port}/check-prime`),
    key,
    keyId,
    counted2xx: 0,
    dailyWindowStart: 0,
  };
}

/**
 * Sends the preflight calls of every set-up and throws unless the key was charged exactly once
 * per call, so the runs measure calls that run the charge.
 */
async function checkEveryCallIsCharged(setups: Setup[], body: string): Promise<void> {
  for (const setup of setups) {
    const method = await preflight(setup, body);
    const usage = await dailyUsage(setup.database, setup.keyId);
    if (usage.used !== setup.counted2xx) {
      throw new Error(
        `${setup.id}: ${setup.counted2xx} calls returned 200 but the key was charged ` +
          `${usage.used} units; every metered call must be charged one unit`,
      );
    }
    setup.dailyWindowStart = usage.windowStart;
    console.log(
      `${setup.id}: ${setup.urls.join(' ')}; /check-prime decided by method ${method}; ` +
        `${usage.used} preflight calls charged ${usage.used} units`,
    );
  }
}

/** Runs the rounds and prints each run. Throws after a run with a non-2xx response or an error. */
async function runRounds(settings: Settings, setups: Setup[]): Promise<RunResult[]> {
  const runs: RunResult[] = [];
  console.log('');
  console.log(
    formatRow(
      COLUMNS,
      COLUMNS.map(([title]) => title),
    ),
  );
  for (let round = 1; round <= settings.rounds; round++) {
    // Each round starts with the next set-up, so none always runs first.
    const order = setups.map((_, i) => setups[(i + round - 1) % setups.length]);
    for (const setup of order) {
      const run = await measure(setup, round, settings);
      runs.push(run);
      console.log(resultRow(run));
      if (run.non2xx > 0 || run.errors > 0) {
        throw new Error(
          `${setup.id}, round ${round}: ${run.non2xx} non-2xx responses and ${run.errors} errors ` +
            `(${run.timeouts} timeouts); every response must be 2xx`,
        );
      }
    }
  }

  return runs;
}

async function main(): Promise<void> {
  const settings = readSettings();
  printHeader(settings);

  const resources = new RunResources();
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`received ${signal}; stopping the servers\n`);
    resources
      .release()
      .catch((error: unknown) => process.stderr.write(`clean-up failed: ${describeError(error)}\n`))
      .finally(() => process.exit(1));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const setups = await startSetups(settings, resources);
    await checkEveryCallIsCharged(setups, settings.input.body);
    const runs = await runRounds(settings, setups);
    await checkCharges(setups);
    printSummary(runs, setups);
    printCpuNotes(runs, setups);
  } finally {
    await resources.release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  console.log(`load average at end (1/5/15 min): ${loadAverage()}`);
}

runBench(main);
