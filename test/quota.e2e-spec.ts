import { QuotaResetScheduler } from '../src/quota/quota-reset.scheduler.js';
import { checkPrime, request, startTestServer, TestServer } from './support/test-server.js';

const QUOTA_EXCEEDED = {
  statusCode: 429,
  error: 'Too Many Requests',
  message: expect.stringMatching(/^Request limit exceeded: /),
  reason: 'quota',
};

describe('quota', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startTestServer();
  });

  afterEach(async () => {
    await server.remove();
  });

  it('allows 5 calls with a default key, then returns 429 with Retry-After', async () => {
    server.pinClock('2026-12-04T21:00:00.000Z');
    const { key } = await server.mintKey();

    for (let call = 1; call <= 5; call++) {
      expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(200);
    }
    const sixth = await checkPrime(server, key, '{"number": 7}');

    expect(sixth.status).toBe(429);
    expect(sixth.body).toMatchObject({ ...QUOTA_EXCEEDED, window: 'day', retryAfter: 3 * 3600 });
    expect(sixth.headers.get('retry-after')).toBe(String(3 * 3600));
  });

  it('gives Retry-After to the next UTC hour', async () => {
    server.pinClock('2026-12-04T21:59:58.500Z');
    const { key } = await server.mintKey({ limit: 1, period: 'hour' });
    await checkPrime(server, key, '{"number": 7}');

    const denied = await checkPrime(server, key, '{"number": 7}');

    expect(denied.status).toBe(429);
    expect(denied.headers.get('retry-after')).toBe('2');
    expect(denied.body).toMatchObject({ ...QUOTA_EXCEEDED, window: 'hour', retryAfter: 2 });
  });

  it('charges nothing for requests that fail validation', async () => {
    const { key } = await server.mintKey({ limit: 1 });
    for (let call = 0; call < 5; call++) {
      expect((await checkPrime(server, key, '{"number": "x"}')).status).toBe(400);
    }

    expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(200);
  });

  it('does not meter /get-current-time', async () => {
    const { key } = await server.mintKey({ limit: 1 });
    await request(server.baseUrl, '/get-current-time', { key });
    await request(server.baseUrl, '/get-current-time', { key });

    expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(200);
  });

  it('allows exactly the limit among 50 concurrent calls', async () => {
    const { key } = await server.mintKey({ limit: 10 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) => checkPrime(server, key, `{"number": ${index + 2}}`)),
    );
    const statuses = responses.map((response) => response.status);

    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(40);
  });

  it('keeps usage across a restart', async () => {
    const { key } = await server.mintKey({ limit: 2 });
    await checkPrime(server, key, '{"number": 7}');
    await checkPrime(server, key, '{"number": 7}');
    await server.close();

    const restarted = await startTestServer({ database: server.database });
    try {
      expect((await checkPrime(restarted, key, '{"number": 7}')).status).toBe(429);
    } finally {
      await restarted.close();
    }
  });

  it('restores a spent daily quota when the reset job runs after midnight UTC', async () => {
    server.pinClock('2026-12-04T23:59:59.000Z');
    const { key } = await server.mintKey({ limit: 1, period: 'day' });
    await checkPrime(server, key, '{"number": 7}');
    expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(429);

    server.pinClock('2026-12-05T00:00:00.000Z');
    const scheduler = server.app.get(QuotaResetScheduler);

    expect(await scheduler.resetDailyQuotasAtMidnightUtc()).toBe(1);
    expect(await scheduler.resetDailyQuotasAtMidnightUtc()).toBe(0);
    expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(200);
  });

  it('restores an hourly quota at the hour', async () => {
    server.pinClock('2026-12-04T10:30:00.000Z');
    const { key } = await server.mintKey({ limit: 1, period: 'hour' });
    await checkPrime(server, key, '{"number": 7}');
    expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(429);

    server.pinClock('2026-12-04T11:00:00.000Z');

    expect(await server.app.get(QuotaResetScheduler).resetHourlyQuotasAtTopOfHourUtc()).toBe(1);
    expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(200);
  });

  it('rolls the window without the reset job', async () => {
    server.pinClock('2026-12-04T23:59:59.000Z');
    const { key } = await server.mintKey({ limit: 1, period: 'day' });
    await checkPrime(server, key, '{"number": 7}');
    expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(429);

    server.pinClock('2026-12-05T00:00:00.000Z');

    expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(200);
    expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(429);
  });
});
