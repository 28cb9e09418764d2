import { runCli, ServerProcess, startServerProcess } from './support/processes.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';
import { checkPrime, request, startTestServer, TestServer } from './support/test-server.js';

const at = (iso: string): number => Date.parse(iso) / 1000;

function statusCounts(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) {
    counts[status] = (counts[status] ?? 0) + 1;
  }

  return counts;
}

async function mintWithCli(database: TestDatabase, args: string[]): Promise<string> {
  const result = await runCli(database, ['keys', 'create', '--json', ...args]);
  expect(result.exitCode).toBe(0);

  return (JSON.parse(result.stdout) as { key: string }).key;
}

describe('rate-limit headers', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startTestServer({ environment: { BURST_LIMIT: '20' } });
    server.pinClock('2026-12-04T21:30:00.000Z');
  });

  afterEach(async () => {
    await server.remove();
  });

  it('sends policy and tightest window', async () => {
    const { key } = await server.mintKey({ hourlyLimit: 10, dailyLimit: 100 });

    const response = await checkPrime(server, key, '{"number": 7}');

    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit-policy')).toBe(
      '"hour";q=10;w=3600, "day";q=100;w=86400, "burst";q=20;w=1',
    );
    expect(response.headers.get('ratelimit')).toBe('"hour";r=9;t=1800');
    expect(response.headers.get('x-ratelimit-limit')).toBe('10');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('9');
    expect(response.headers.get('x-ratelimit-reset')).toBe(String(at('2026-12-04T22:00:00Z')));
  });

  it('reports burst for unlimited keys', async () => {
    const { key } = await server.mintKey({ hourlyLimit: null, dailyLimit: null });

    const response = await checkPrime(server, key, '{"number": 7}');

    expect(response.headers.get('ratelimit-policy')).toBe('"burst";q=20;w=1');
    expect(response.headers.get('ratelimit')).toMatch(/^"burst";r=19;t=1$/);
  });

  it('names exceeded window in 429', async () => {
    const { key } = await server.mintKey({ hourlyLimit: 1, dailyLimit: 100 });
    await checkPrime(server, key, '{"number": 7}');

    const denied = await checkPrime(server, key, '{"number": 7}');

    expect(denied.status).toBe(429);
    expect(denied.headers.get('retry-after')).toBe('1800');
    expect(denied.headers.get('ratelimit')).toBe('"hour";r=0;t=1800');
    expect(denied.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(denied.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message:
        'Request limit exceeded: the hourly quota of 1 request is used up. Retry in 1800 seconds, when the window resets.',
      reason: 'quota',
      window: 'hour',
      limit: 1,
      windowSeconds: 3600,
      retryAfter: 1800,
    });
  });

  it('waits for the last spent window', async () => {
    const { key } = await server.mintKey({ hourlyLimit: 1, dailyLimit: 1 });
    await checkPrime(server, key, '{"number": 7}');

    const denied = await checkPrime(server, key, '{"number": 7}');

    expect(denied.body).toMatchObject({ reason: 'quota', window: 'day', retryAfter: 9000 });
    expect(denied.headers.get('retry-after')).toBe('9000');
  });

  it('explains a quota of 0', async () => {
    const { key } = await server.mintKey({ hourlyLimit: null, dailyLimit: 0 });

    const denied = await checkPrime(server, key, '{"number": 7}');

    expect(denied.status).toBe(429);
    expect(denied.body.message).toBe(
      'Request limit exceeded: the daily quota of this key is 0 requests, so no metered request ' +
        'is allowed. Ask an operator to raise it.',
    );
  });

  it('omits headers on unmetered routes', async () => {
    const { key } = await server.mintKey({ dailyLimit: 1 });

    const response = await request(server.baseUrl, '/get-current-time', { key });

    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit')).toBeNull();
  });
});

describe('metering /get-current-time', () => {
  it('charges with METER_CURRENT_TIME', async () => {
    const server = await startTestServer({ environment: { METER_CURRENT_TIME: 'true' } });
    try {
      const { key } = await server.mintKey({ dailyLimit: 2 });

      const first = await request(server.baseUrl, '/get-current-time', { key });
      const second = await request(server.baseUrl, '/get-current-time', { key, method: 'GET' });
      const third = await request(server.baseUrl, '/get-current-time', { key });

      expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
      expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
      expect(third.body).toMatchObject({ reason: 'quota', window: 'day' });
    } finally {
      await server.remove();
    }
  });
});

describe('burst limit', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startTestServer({
      environment: { BURST_LIMIT: '3', BURST_WINDOW_MS: '2000' },
    });
  });

  afterEach(async () => {
    await server.remove();
  });

  it('rejects past BURST_LIMIT, then recovers', async () => {
    const { key } = await server.mintKey({ dailyLimit: null });
    const statuses: number[] = [];
    for (let call = 0; call < 3; call++) {
      statuses.push((await request(server.baseUrl, '/get-current-time', { key })).status);
    }

    const throttled = await request(server.baseUrl, '/get-current-time', { key });
    const throttledAgain = await request(server.baseUrl, '/get-current-time', { key });

    expect(statuses).toEqual([200, 200, 200]);
    // Both fall in one window, so both name the same end of it.
    expect(throttledAgain.headers.get('x-ratelimit-reset')).toBe(
      throttled.headers.get('x-ratelimit-reset'),
    );
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({
      reason: 'burst',
      window: 'burst',
      limit: 3,
      windowSeconds: 2,
    });
    expect([1, 2]).toContain(throttled.body.retryAfter);
    expect(throttled.headers.get('retry-after')).toBe(String(throttled.body.retryAfter));

    // The window is 2000 ms, not 2000 s: the key works again once it has passed.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await request(server.baseUrl, '/get-current-time', { key })).status).toBe(200);
  });

  it('counts per key across routes', async () => {
    const first = await server.mintKey({ dailyLimit: null });
    const second = await server.mintKey({ dailyLimit: null });
    for (let call = 0; call < 3; call++) {
      const forwardedFor = { 'x-forwarded-for': `203.0.113.${call}` };
      const path = call === 0 ? '/check-prime' : '/get-current-time';
      await request(server.baseUrl, path, {
        key: first.key,
        headers: forwardedFor,
        json: { number: 7 },
      });
    }

    expect((await checkPrime(server, first.key, '{"number": 7}')).status).toBe(429);
    expect((await checkPrime(server, second.key, '{"number": 7}')).status).toBe(200);
  });

  it('charges nothing when throttled', async () => {
    const { key } = await server.mintKey({ dailyLimit: 10 });
    for (let call = 0; call < 3; call++) {
      await checkPrime(server, key, '{"number": 7}');
    }
    const throttled = await checkPrime(server, key, '{"number": 7}');
    await new Promise((resolve) => setTimeout(resolve, 2100));

    const next = await checkPrime(server, key, '{"number": 7}');

    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('ratelimit-policy')).toBe('"day";q=10;w=86400, "burst";q=3;w=2');
    expect(throttled.headers.get('ratelimit')).toMatch(/^"burst";r=0;t=[12]$/);
    expect(next.headers.get('x-ratelimit-remaining')).toBe('6');
  });
});

describe('failed authentications per address', () => {
  const wrongKey = 'pt_1796421809_AAAAAAAAAAAA_AAAAAAAAAAAAAAAAAAAAAA000000';

  async function failuresFrom(server: TestServer, addresses: string[]): Promise<number[]> {
    const statuses: number[] = [];
    for (const address of addresses) {
      const response = await request(server.baseUrl, '/get-current-time', {
        key: wrongKey,
        headers: { 'x-forwarded-for': address },
      });
      statuses.push(response.status);
    }

    return statuses;
  }

  it('ignores X-Forwarded-For by default', async () => {
    const server = await startTestServer({ environment: { AUTH_FAILURE_LIMIT: '2' } });
    try {
      const statuses = await failuresFrom(server, ['198.51.100.1', '198.51.100.2', '198.51.100.3']);
      const blocked = await request(server.baseUrl, '/get-current-time', { key: wrongKey });

      expect(statuses).toEqual([401, 401, 429]);
      expect(blocked.body).toMatchObject({
        reason: 'auth-failures',
        limit: 2,
        window: 'auth-failures',
      });
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await server.remove();
    }
  });

  it('uses X-Forwarded-For behind TRUST_PROXY', async () => {
    const server = await startTestServer({
      environment: { AUTH_FAILURE_LIMIT: '2', TRUST_PROXY: '127.0.0.1' },
    });
    try {
      const spread = await failuresFrom(server, ['198.51.100.1', '198.51.100.2', '198.51.100.3']);
      const repeated = await failuresFrom(server, ['198.51.100.1', '198.51.100.1']);

      expect(spread).toEqual([401, 401, 401]);
      expect(repeated).toEqual([401, 429]);
    } finally {
      await server.remove();
    }
  });
});

describe('quota exactness', () => {
  it('allows 50 of 200 concurrent calls', async () => {
    const server = await startTestServer();
    try {
      const { key } = await server.mintKey({ dailyLimit: 50 });

      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, index) => checkPrime(server, key, `{"number": ${index}}`)),
      );
      const remaining = responses
        .filter((response) => response.status === 200)
        .map((response) => Number(response.headers.get('x-ratelimit-remaining')))
        .sort((a, b) => a - b);

      expect(statusCounts(responses.map((response) => response.status))).toEqual({
        200: 50,
        429: 150,
      });
      // Each success reports its own place in the window, as if the calls ran one by one.
      expect(remaining).toEqual(Array.from({ length: 50 }, (_, index) => index));
    } finally {
      await server.remove();
    }
  });

  it('charges concurrent calls of several keys apart', async () => {
    const server = await startTestServer();
    try {
      const small = await server.mintKey({ dailyLimit: 3 });
      const large = await server.mintKey({ dailyLimit: 100 });

      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          checkPrime(server, index % 2 ? small.key : large.key, '{"number": 7}'),
        ),
      );
      const statusesOf = (parity: number): Record<number, number> =>
        statusCounts(responses.filter((_, index) => index % 2 === parity).map((r) => r.status));

      expect(statusesOf(1)).toEqual({ 200: 3, 429: 7 });
      expect(statusesOf(0)).toEqual({ 200: 10 });
    } finally {
      await server.remove();
    }
  });

  describe('with server processes', () => {
    let database: TestDatabase;
    const servers: ServerProcess[] = [];
    const start = async (): Promise<ServerProcess> => {
      const started = await startServerProcess(database, {
        BURST_LIMIT: '100000',
        AUTH_FAILURE_LIMIT: '100000',
      });
      servers.push(started);
      return started;
    };

    beforeAll(async () => {
      database = await createTestDatabase();
    });

    afterEach(async () => {
      await Promise.all(servers.splice(0).map((server) => server.stop()));
    });

    afterAll(async () => {
      await database.remove();
    });

    it('allows 50 of 200 across two processes', async () => {
      const [first, second] = await Promise.all([start(), start()]);
      const key = await mintWithCli(database, ['--name', 'shared', '--limit', '50']);

      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          checkPrime(index % 2 === 0 ? first : second, key, `{"number": ${index}}`),
        ),
      );

      expect(statusCounts(responses.map((response) => response.status))).toEqual({
        200: 50,
        429: 150,
      });
    });

    it('keeps usage after SIGKILL', async () => {
      const key = await mintWithCli(database, ['--name', 'crash', '--limit', '3']);
      const first = await start();
      expect((await checkPrime(first, key, '{"number": 7}')).status).toBe(200);
      expect((await checkPrime(first, key, '{"number": 7}')).status).toBe(200);

      await first.kill();
      const restarted = await start();

      expect((await checkPrime(restarted, key, '{"number": 7}')).status).toBe(200);
      expect((await checkPrime(restarted, key, '{"number": 7}')).status).toBe(429);
    });

    it('serves load while the CLI changes keys', async () => {
      const server = await start();
      const key = await mintWithCli(database, ['--name', 'busy', '--limit', '100000']);
      const victim = await mintWithCli(database, ['--name', 'victim', '--limit', '100000']);
      let loading = true;
      const statuses: number[] = [];
      const load = async (loadKey: string): Promise<void> => {
        while (loading) {
          statuses.push((await checkPrime(server, loadKey, '{"number": 1000003}')).status);
        }
      };
      const workers = Array.from({ length: 8 }, (_, index) => load(index % 2 ? key : victim));

      for (let round = 0; round < 3; round++) {
        const created = await runCli(database, [
          'keys',
          'create',
          '--name',
          `cli-${round}`,
          '--json',
        ]);
        const { id } = JSON.parse(created.stdout) as { id: string };
        expect((await runCli(database, ['keys', 'revoke', id])).exitCode).toBe(0);
      }
      const victimId = victim.split('_')[2];
      expect((await runCli(database, ['keys', 'revoke', victimId])).exitCode).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      loading = false;
      await Promise.all(workers);

      expect(statuses.length).toBeGreaterThan(50);
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
      expect(new Set(statuses)).toEqual(new Set([200, 401]));
    });
  });
});
