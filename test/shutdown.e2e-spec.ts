import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { LARGE_PRIMES } from '../bench/large-primes.js';
import { ServerProcess, startServerProcess } from './support/processes.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';

const KEY_PATTERN = /^\s+(pt_\S+)$/m;

/** Resolves with the exit code and signal once the server process has exited. */
function exitOf(server: ServerProcess): Promise<{ code: number | null; signal: string | null }> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }

  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Opens a new TCP connection to the server and returns 'connected' or the error code. */
function connectionResult(server: ServerProcess): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(server.baseUrl).port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
  });
}

describe('graceful shutdown', () => {
  let database: TestDatabase;
  let server: ServerProcess;

  beforeEach(async () => {
    database = await createTestDatabase();
    server = await startServerProcess(database, {
      SHUTDOWN_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'log',
    });
  });

  afterEach(async () => {
    await server.kill();
    await database.remove();
  });

  it('finishes a request in flight and exits 0', async () => {
    const key = (await server.waitForOutput(KEY_PATTERN))?.[1];
    expect(key).toBeDefined();

    const slow = fetch(`${server.baseUrl}/check-prime`, {
      method: 'POST',
      headers: { authorization: key!, 'content-type': 'application/json' },
      body: `{"number":${LARGE_PRIMES[4096]}}`,
    });
    await sleep(100);
    const startedAt = Date.now();
    server.child.kill('SIGTERM');
    await sleep(30);
    const refused = await connectionResult(server);
    const response = await slow;
    const body = (await response.json()) as { isPrime: boolean };
    const exit = await exitOf(server);

    expect(refused).toBe('ECONNREFUSED');
    expect(response.status).toBe(200);
    expect(body.isPrime).toBe(true);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(server.output()).toMatch(/"msg":"Drained in \d+ ms; closed the database"/);
  });

  it('closes idle keep-alive connections at once', async () => {
    // fetch keeps this connection open for reuse after the response.
    const response = await fetch(`${server.baseUrl}/docs-json`);
    await response.arrayBuffer();
    const startedAt = Date.now();

    server.child.kill('SIGTERM');
    const exit = await exitOf(server);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - startedAt).toBeLessThan(900);
  });

  it('stops waiting for a stalled request after SHUTDOWN_TIMEOUT_MS', async () => {
    const port = Number(new URL(server.baseUrl).port);
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    // Headers that never end keep the request in flight until the server gives up on it.
    socket.write('POST /check-prime HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await sleep(100);
    const startedAt = Date.now();

    server.child.kill('SIGTERM');
    const exit = await exitOf(server);
    const elapsed = Date.now() - startedAt;
    await socketClosed;

    expect(exit).toEqual({ code: 0, signal: null });
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5000);
    expect(server.output()).toMatch(/Drain timed out after 1000 ms/);
  });
});
