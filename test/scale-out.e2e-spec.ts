import { randomBytes } from 'node:crypto';

import {
  mintWithCli,
  msUntilStatus,
  runServerUntilExit,
  statusCounts,
} from './support/multi-process.js';
import { runCli, ServerProcess, startServerProcess } from './support/processes.js';
import { describeWith } from './support/requires.js';
import {
  createTestDatabase,
  POSTGRES_URL,
  REDIS_URL,
  TestDatabase,
} from './support/test-database.js';
import {
  adminRequest,
  checkPrime,
  forgeKey,
  request,
  TEST_ADMIN_TOKEN,
} from './support/test-server.js';

/** The delay within which the product promises that a key change reaches every server. */
const KEY_CHANGE_BOUND_MS = 1000;

const UNLIMITED = ['--hourly-limit', 'none', '--daily-limit', 'none'];

describeWith({ DATABASE_URL: POSTGRES_URL, REDIS_URL })(
  'two servers on one PostgreSQL and Redis',
  () => {
    let database: TestDatabase;
    let servers: ServerProcess[] = [];

    /** Starts two servers on the shared database and Redis, each on a port of its own. */
    const startPair = async (
      environment: Record<string, string>,
    ): Promise<[ServerProcess, ServerProcess]> => {
      const settings = {
        REDIS_URL: REDIS_URL!,
        // Every test request comes from 127.0.0.1, and other runs may count failures on this Redis.
        AUTH_FAILURE_LIMIT: '1000000',
        ...environment,
      };
      const started = await Promise.allSettled([
        startServerProcess(database, settings),
        startServerProcess(database, settings),
      ]);
      for (const result of started) {
        if (result.status === 'fulfilled') {
          servers.push(result.value);
        }
      }
      for (const result of started) {
        if (result.status === 'rejected') {
          throw result.reason;
        }
      }

      return [servers[servers.length - 2], servers[servers.length - 1]];
    };

    const stopServers = async (): Promise<void> => {
      const stopping = servers;
      servers = [];
      await Promise.all(stopping.map((server) => server.stop()));
    };

    beforeAll(async () => {
      database = await createTestDatabase('postgres');
    });

    afterAll(async () => {
      await stopServers();
      await database?.remove();
    });

    describe('quota', () => {
      let first: ServerProcess;
      let second: ServerProcess;

      beforeAll(async () => {
        [first, second] = await startPair({ BURST_LIMIT: '100000' });
      });

      afterAll(stopServers);

      it('allows 50 of 200 concurrent calls', async () => {
        const { key } = await mintWithCli(database, ['--name', 'shared', '--limit', '50']);

        const responses = await Promise.all(
          Array.from({ length: 200 }, (_, index) =>
            checkPrime(index % 2 === 0 ? first : second, key, '{"number": 97}'),
          ),
        );
        const denied = responses.filter((response) => response.status === 429);

        expect(statusCounts(responses.map((response) => response.status))).toEqual({
          200: 50,
          429: 150,
        });
        expect(
          new Set(denied.map((response) => (response.body as { reason?: string }).reason)),
        ).toEqual(new Set(['quota']));
      });
    });

    describe('burst limit', () => {
      let first: ServerProcess;
      let second: ServerProcess;

      beforeAll(async () => {
        // The window outlasts the test, so no call falls into a second window.
        [first, second] = await startPair({ BURST_LIMIT: '10', BURST_WINDOW_MS: '60000' });
      });

      afterAll(stopServers);

      it('allows 10 of 40 concurrent calls', async () => {
        const { key } = await mintWithCli(database, ['--name', 'burst', ...UNLIMITED]);

        const responses = await Promise.all(
          Array.from({ length: 40 }, (_, index) =>
            checkPrime(index % 2 === 0 ? first : second, key, '{"number": 97}'),
          ),
        );
        const denied = responses.filter((response) => response.status === 429);

        expect(statusCounts(responses.map((response) => response.status))).toEqual({
          200: 10,
          429: 30,
        });
        expect(
          new Set(denied.map((response) => (response.body as { reason?: string }).reason)),
        ).toEqual(new Set(['burst']));
      });
    });

    describe('failed authentications', () => {
      let first: ServerProcess;
      let second: ServerProcess;

      beforeAll(async () => {
        [first, second] = await startPair({
          TRUST_PROXY: 'true',
          AUTH_FAILURE_LIMIT: '3',
          BURST_LIMIT: '100000',
        });
      });

      afterAll(stopServers);

      it('blocks the address on both servers', async () => {
        const { key } = await mintWithCli(database, ['--name', 'victim', ...UNLIMITED]);
        // A documentation address of its own, so no other run on this Redis shares its counter.
        const client = {
          'x-forwarded-for': `2001:db8::${randomBytes(4)
            .toString('hex')
            .replace(/(.{4})/, '$1:')}`,
        };
        const wrongKey = forgeKey(key, { secret: 'A'.repeat(22) });

        const failures: number[] = [];
        for (let attempt = 0; attempt < 3; attempt++) {
          const response = await request(first.baseUrl, '/get-current-time', {
            key: wrongKey,
            headers: client,
          });
          failures.push(response.status);
        }
        const blockedAtMs = Date.now();
        const msUntilBlocked = await msUntilStatus(
          () => request(second.baseUrl, '/get-current-time', { key, headers: client }),
          429,
          blockedAtMs,
        );
        const onSecond = await request(second.baseUrl, '/get-current-time', {
          key,
          headers: client,
        });
        const otherClient = await request(second.baseUrl, '/get-current-time', { key });

        expect(failures).toEqual([401, 401, 401]);
        expect(msUntilBlocked).not.toBeNull();
        expect(msUntilBlocked).toBeLessThan(KEY_CHANGE_BOUND_MS);
        expect(onSecond.body).toMatchObject({ reason: 'auth-failures' });
        expect(otherClient.status).toBe(200);
      });
    });

    describe('key changes', () => {
      let first: ServerProcess;
      let second: ServerProcess;

      // A cached key row lives 30 s, so only the Redis announcement can reach the other server
      // within KEY_CHANGE_BOUND_MS.
      beforeAll(async () => {
        [first, second] = await startPair({
          ADMIN_TOKEN: TEST_ADMIN_TOKEN,
          KEY_ROW_CACHE_MS: '30000',
          BURST_LIMIT: '100000',
        });
      });

      afterAll(stopServers);

      const currentTime = (server: ServerProcess, key: string) =>
        request(server.baseUrl, '/get-current-time', { key });

      /** Mints a key and calls both servers with it, so each caches the key's row. */
      const mintWarmKey = async (name: string): Promise<{ id: string; key: string }> => {
        const minted = await mintWithCli(database, ['--name', name, ...UNLIMITED]);
        expect((await currentTime(first, minted.key)).status).toBe(200);
        expect((await currentTime(second, minted.key)).status).toBe(200);

        return minted;
      };

      it('revokes on both through the admin API', async () => {
        const { id, key } = await mintWarmKey('revoked-by-admin');

        const revoked = await adminRequest(first, `/${id}/revoke`, { method: 'POST' });
        const revokedAtMs = Date.now();
        const msUntilRejected = await msUntilStatus(
          () => currentTime(second, key),
          401,
          revokedAtMs,
        );

        expect(revoked.status).toBe(200);
        expect(msUntilRejected).not.toBeNull();
        expect(msUntilRejected).toBeLessThan(KEY_CHANGE_BOUND_MS);
        expect((await currentTime(second, key)).body.message).toMatch(/revoked/);
      });

      it('revokes on both through the CLI', async () => {
        const { id, key } = await mintWarmKey('revoked-by-cli');

        const revoked = await runCli(database, ['keys', 'revoke', id], { REDIS_URL: REDIS_URL! });
        const revokedAtMs = Date.now();
        const msUntilRejectedBy = (server: ServerProcess) =>
          msUntilStatus(() => currentTime(server, key), 401, revokedAtMs);
        const [msUntilFirst, msUntilSecond] = await Promise.all([
          msUntilRejectedBy(first),
          msUntilRejectedBy(second),
        ]);

        expect(revoked.exitCode).toBe(0);
        expect(msUntilFirst).not.toBeNull();
        expect(msUntilFirst).toBeLessThan(KEY_CHANGE_BOUND_MS);
        expect(msUntilSecond).not.toBeNull();
        expect(msUntilSecond).toBeLessThan(KEY_CHANGE_BOUND_MS);
      });

      it('rotates on both through the admin API', async () => {
        const { id, key } = await mintWarmKey('rotated');

        const rotated = await adminRequest(first, `/${id}/rotate`, { method: 'POST' });
        const rotatedAtMs = Date.now();
        const msUntilOldRejected = await msUntilStatus(
          () => currentTime(second, key),
          401,
          rotatedAtMs,
        );
        const newKeyOnSecond = await currentTime(second, rotated.body.key);

        expect(rotated.status).toBe(201);
        expect(msUntilOldRejected).not.toBeNull();
        expect(msUntilOldRejected).toBeLessThan(KEY_CHANGE_BOUND_MS);
        expect(newKeyOnSecond.status).toBe(200);
      });
    });
  },
);

describe('server with an unreachable REDIS_URL', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });

  afterAll(async () => {
    await database?.remove();
  });

  it('exits non-zero naming REDIS_URL', async () => {
    // Port 1 on the loopback interface: nothing listens there, so the connection is refused.
    const result = await runServerUntilExit(database, { REDIS_URL: 'redis://127.0.0.1:1' });

    expect(result.exitCode).not.toBeNull();
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/REDIS_URL/);
    expect(result.stderr).toMatch(/ECONNREFUSED/);
  });
});
