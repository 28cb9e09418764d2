import { mintWithCli, statusCounts } from './support/multi-process.js';
import { ServerProcess, startServerProcess } from './support/processes.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';
import { checkPrime, request } from './support/test-server.js';

const WORKERS = 2;
const ALL_LISTENING = new RegExp(`"msg":"${WORKERS} workers are listening on port \\d+"`);
const BANNER = /No API key existed, so one named "default" was created/g;

/** Parses the JSON log lines of a process's output whose message is `message`. */
function logLines(output: string, message: string | RegExp): { pid: number; keyId?: string }[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { pid: number; msg: string; keyId?: string })
    .filter((line) =>
      typeof message === 'string' ? line.msg === message : message.test(line.msg),
    );
}

/** Reads the process ids of the workers from the line each writes once it is listening. */
function workerPids(server: ServerProcess): number[] {
  return logLines(server.output(), /^Listening on /).map((line) => line.pid);
}

/** Starts the server with WORKERS=2 and waits until every worker is listening. */
async function startCluster(database: TestDatabase): Promise<ServerProcess> {
  const server = await startServerProcess(database, {
    WORKERS: String(WORKERS),
    // One JSON line per request, with the pid of the worker that served it.
    LOG_LEVEL: 'log',
    BURST_LIMIT: '100000',
    AUTH_FAILURE_LIMIT: '100000',
  });
  // The primary logs when every worker listens, and each worker logs its own line just after.
  const everyWorkerLogged = new RegExp(String.raw`(?:"msg":"Listening on [\s\S]*){${WORKERS}}`);
  if (
    !(await server.waitForOutput(ALL_LISTENING)) ||
    !(await server.waitForOutput(everyWorkerLogged))
  ) {
    await server.kill();
    throw new Error(`the workers did not all listen within 10 s:\n${server.output()}`);
  }

  return server;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('cluster of 2 workers on SQLite', () => {
  let database: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    server = await startCluster(database);
  });

  afterAll(async () => {
    await server?.stop();
    await database?.remove();
  });

  it('mints one default key', async () => {
    const defaultKeys = await database.query("SELECT id FROM api_keys WHERE name = 'default'");

    expect(defaultKeys).toHaveLength(1);
    expect(server.output().match(BANNER)).toHaveLength(1);
  });

  it('allows 50 of 200 concurrent calls', async () => {
    const { key } = await mintWithCli(database, ['--name', 'shared', '--limit', '50']);

    const responses = await Promise.all(
      Array.from({ length: 200 }, () => checkPrime(server, key, '{"number": 97}')),
    );

    expect(statusCounts(responses.map((response) => response.status))).toEqual({
      200: 50,
      429: 150,
    });
  });

  it('serves requests from both workers', async () => {
    const { id, key } = await mintWithCli(database, [
      '--name',
      'spread',
      '--hourly-limit',
      'none',
      '--daily-limit',
      'none',
    ]);

    const responses = await Promise.all(
      Array.from({ length: 40 }, () => request(server.baseUrl, '/get-current-time', { key })),
    );
    // pino writes a request's line after its response is sent, so give the last ones a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const servedBy = logLines(server.output(), 'request completed')
      .filter((line) => line.keyId === id)
      .map((line) => line.pid);

    expect(statusCounts(responses.map((response) => response.status))).toEqual({ 200: 40 });
    expect(servedBy).toHaveLength(40);
    expect(new Set(servedBy)).toEqual(new Set(workerPids(server)));
  });
});

describe('SIGTERM to the cluster primary', () => {
  it('stops every worker and exits 0', async () => {
    const database = await createTestDatabase('sqlite');
    const server = await startCluster(database);
    try {
      const workers = workerPids(server);

      await server.stop();

      expect(workers).toHaveLength(WORKERS);
      expect(server.child.exitCode).toBe(0);
      expect(workers.filter(isRunning)).toEqual([]);
      expect(server.output()).toMatch(/"msg":"Every worker has stopped"/);
    } finally {
      await server.kill();
      await database.remove();
    }
  });
});
