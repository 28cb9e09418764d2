import { ApiError, PrimetimeClient } from '../src/client/index.js';
import { runCli, startServerProcess } from './support/processes.js';
import type { ServerProcess } from './support/processes.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';
import { startTestServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';

const PRIME_127 = 2n ** 127n - 1n;
const KEY_PATTERN = /\bpt_\d{10}_[0-9A-Za-z]{12}_[0-9A-Za-z]{28}\b/;

describe('PrimetimeClient against the app', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ environment: { PRIME_MAX_BITS: '128' } });
  });

  afterAll(async () => {
    await server.remove();
  });

  async function client(limits: { dailyLimit?: number | null } = {}): Promise<PrimetimeClient> {
    const { key } = await server.mintKey({ hourlyLimit: null, dailyLimit: null, ...limits });

    return new PrimetimeClient({ baseUrl: server.baseUrl, apiKey: key });
  }

  it('keeps every digit of a bigint', async () => {
    const sut = await client();

    const verdict = await sut.checkPrime(PRIME_127);

    expect(verdict.number).toBe(PRIME_127.toString());
    expect(BigInt(verdict.number)).toBe(PRIME_127);
    expect(verdict.isPrime).toBe(true);
    expect(verdict.bits).toBe(127);
  });

  it('keeps the sign of a negative number', async () => {
    const sut = await client();

    const verdict = await sut.checkPrime('-3215031751');

    expect(verdict.number).toBe('-3215031751');
    expect(verdict.result).toBe('neither');
  });

  it('returns a witness for a composite', async () => {
    const sut = await client();

    const verdict = await sut.checkPrime('3215031751');

    expect(verdict.result).toBe('composite');
    expect(verdict.witness).toEqual({ type: 'factor', value: '151' });
  });

  it('returns the current time', async () => {
    server.pinClock('2026-12-04T21:30:05.123Z');
    const sut = await client();

    const time = await sut.getCurrentTime();

    expect(time.unixMs).toBe(Date.parse('2026-12-04T21:30:05.123Z'));
    expect(typeof time.currentTime).toBe('string');
    expect(typeof time.iso).toBe('string');
    expect(typeof time.timeZone).toBe('string');
  });

  it('sends the timezone to the server', async () => {
    server.pinClock('2026-07-01T12:00:00.000Z');
    const sut = await client();

    const time = await sut.getCurrentTime({ timezone: 'Europe/Paris' });

    expect(time.timeZone).toBe('Europe/Paris');
    expect(time.utcOffset).toBe('+02:00');
    expect(time.dst).toBe(true);
  });

  it('throws ApiError 400 for an unknown timezone', async () => {
    const sut = await client();

    const error = await sut
      .getCurrentTime({ timezone: 'Europe/Pari' })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).field).toBe('timezone');
  });

  it('throws ApiError 413 with the field', async () => {
    const sut = await client();

    const error = await sut.checkPrime(2n ** 200n).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(413);
    expect((error as ApiError).field).toBe('number');
  });

  it('throws ApiError 401 for a wrong key', async () => {
    const sut = new PrimetimeClient({ baseUrl: server.baseUrl, apiKey: 'pt_not_a_key' });

    await expect(sut.getCurrentTime()).rejects.toMatchObject({ name: 'ApiError', status: 401 });
  });

  it('reports a spent quota with Retry-After', async () => {
    const sut = await client({ dailyLimit: 1 });

    await sut.checkPrime('7');
    expect(sut.lastRateLimit?.remaining).toBe(0);
    expect(sut.lastRateLimit?.limit).toBe(1);
    const error = (await sut.checkPrime('7').catch((caught: unknown) => caught)) as ApiError;

    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(429);
    expect(error.reason).toBe('quota');
    expect(error.window).toBe('day');
    expect(error.retryAfter).toBeGreaterThan(0);
    expect(error.retryAfter).toBe(error.body?.retryAfter);
    expect(error.rateLimit?.remaining).toBe(0);
  });
});

describe('call CLI commands', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let key: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const created = await runCli(database, [
      'keys',
      'create',
      '--name',
      'cli',
      '--daily-limit',
      '3',
      '--hourly-limit',
      'none',
    ]);
    key = created.stdout.match(KEY_PATTERN)?.[0] ?? '';
    server = await startServerProcess(database);
  });

  afterAll(async () => {
    await server.stop();
    await database.remove();
  });

  it('prints the time with PRIMETIME_KEY', async () => {
    const result = await runCli(database, ['call', 'time', '--url', server.baseUrl], {
      PRIMETIME_KEY: key,
    });

    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ timeZone: expect.any(String) });
  });

  it('takes the port from PORT without --url', async () => {
    const port = new URL(server.baseUrl).port;

    const result = await runCli(database, ['call', 'time', '--key', key], {
      PORT: port,
      PRIMETIME_URL: '',
    });

    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty('unixMs');
  });

  it('prints a big prime with every digit', async () => {
    const result = await runCli(database, [
      'call',
      'prime',
      PRIME_127.toString(),
      '--url',
      server.baseUrl,
      '--key',
      key,
    ]);

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`"number": "${PRIME_127.toString()}"`);
    expect(JSON.parse(result.stdout)).toMatchObject({ isPrime: true, bits: 127 });
  });

  it('rejects an invalid number before sending', async () => {
    const result = await runCli(database, ['call', 'prime', '7.5', '--url', server.baseUrl], {
      PRIMETIME_KEY: key,
    });

    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('got "7.5"');
  });

  it('fails without a key', async () => {
    const result = await runCli(database, ['call', 'time', '--url', server.baseUrl], {
      PRIMETIME_KEY: '',
    });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Missing API key');
  });

  it('prints a 429 with Retry-After to stderr', async () => {
    const call = () =>
      runCli(database, ['call', 'prime', '97', '--url', server.baseUrl], {
        PRIMETIME_KEY: key,
      });
    // The key allows 3 metered calls a day, and the test of the big prime used one.
    await call();
    await call();

    const result = await call();

    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^error: 429 Request limit exceeded: .* Retry-After: \d+ seconds\.$/m,
    );
  });
});
