import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { TestDatabase } from './test-database.js';

const execFileAsync = promisify(execFile);

/**
 * A test database, or the path of a SQLite file. Both clear DATABASE_URL and REDIS_URL, so a
 * child process uses only the database it is given even when the test process has those set.
 */
export type DatabaseTarget = TestDatabase | string;

/** Returns the variables that point a child process at `target`. */
export function databaseEnvironment(target: DatabaseTarget): Record<string, string> {
  return typeof target === 'string'
    ? { DATABASE_PATH: target, DATABASE_URL: '', REDIS_URL: '' }
    : target.environment;
}

/** The compiled entry points; `npm test` builds them first. */
export const DIST = join(process.cwd(), 'dist', 'src');

/**
 * Runs the admin CLI against a database and returns its output and exit code. `environment` adds
 * to or overrides the variables of the test process and the database's.
 */
export async function runCli(
  database: DatabaseTarget,
  args: string[],
  environment: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [join(DIST, 'cli.js'), ...args],
      {
        env: { ...process.env, ...databaseEnvironment(database), ...environment },
      },
    );
    return { stdout, stderr, exitCode: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, exitCode: failed.code };
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Everything the process wrote to stdout so far. */
  output(): string;
  /** Waits up to 10 s for stdout to match `pattern`, and returns the match or null. */
  waitForOutput(pattern: RegExp): Promise<RegExpMatchArray | null>;
  stop(): Promise<void>;
  /** Kills the process with SIGKILL, as a crash would, and waits until it is gone. */
  kill(): Promise<void>;
}

/** A spawned server with what it has written to stdout and stderr so far. */
export interface SpawnedServer {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

/**
 * Spawns `node dist/src/main.js` on 127.0.0.1:`port` with log level warn, pointed at `database`.
 * `environment` adds to or overrides those variables.
 */
export function spawnServer(
  database: DatabaseTarget,
  port: number,
  environment: Record<string, string> = {},
): SpawnedServer {
  const child = spawn(process.execPath, [join(DIST, 'main.js')], {
    env: {
      ...process.env,
      ...databaseEnvironment(database),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  return { child, stdout: () => stdout, stderr: () => stderr };
}

/** Starts `node dist/src/main.js` on a free port and waits until it responds to HTTP. */
export async function startServerProcess(
  database: DatabaseTarget,
  environment: Record<string, string> = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const spawned = spawnServer(database, port, environment);
  const { child } = spawned;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`server exited with ${child.exitCode}: ${spawned.stderr()}`);
    }
    try {
      await (await fetch(`${baseUrl}/docs-json`)).arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`server did not answer within 30 s: ${spawned.stderr()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  return {
    child,
    baseUrl,
    output: spawned.stdout,
    waitForOutput: async (pattern) => {
      for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
        const match = spawned.stdout().match(pattern);
        if (match) {
          return match;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return null;
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
    kill: async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
