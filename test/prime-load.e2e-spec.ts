import { LARGE_PRIMES } from '../bench/large-primes.js';
import { checkPrime, request, startTestServer, TestServer } from './support/test-server.js';

describe('/check-prime under load', () => {
  let server: TestServer;
  let key: string;

  afterEach(async () => {
    await server.remove();
  });

  it('keeps /get-current-time fast while 20 4096-bit tests run', async () => {
    server = await startTestServer({ environment: { PRIME_TIMEOUT_MS: '120000' } });
    ({ key } = await server.mintKey({ limit: 1000 }));
    await request(server.baseUrl, '/get-current-time', { key });

    const body = `{"number": "${LARGE_PRIMES[4096]}"}`;
    let running = true;
    const load = Promise.all(
      Array.from({ length: 20 }, () => checkPrime(server, key, body)),
    ).finally(() => {
      running = false;
    });
    const latencies: number[] = [];
    while (running && latencies.length < 200) {
      const started = performance.now();
      const response = await request(server.baseUrl, '/get-current-time', { key });
      latencies.push(performance.now() - started);
      expect(response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const results = await load;
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];

    expect(results.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(latencies.length).toBeGreaterThan(10);
    // Not a speed check (BENCHMARKS.md has the figures): one 4096-bit test takes about 250 ms of
    // CPU, so a test that ran on the event loop would hold requests at least that long. The bound
    // stays below that with room for a shared, loaded machine.
    expect(p99).toBeLessThan(200);
  });

  it('answers 503 with Retry-After when a test exceeds PRIME_TIMEOUT_MS', async () => {
    server = await startTestServer({
      environment: { PRIME_TIMEOUT_MS: '100', PRIME_WORKERS: '1' },
    });
    ({ key } = await server.mintKey({ limit: 10 }));
    const body = `{"number": "${LARGE_PRIMES[4096]}"}`;

    const responses = await Promise.all(
      Array.from({ length: 3 }, () => checkPrime(server, key, body)),
    );
    const timedOut = responses.find((response) => response.status === 503);

    expect(timedOut).toBeDefined();
    expect(timedOut!.body).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      field: 'number',
    });
    expect(timedOut!.body.message).toContain('100 ms');
    expect(timedOut!.headers.get('retry-after')).toBe('1');
  });

  it('charges no quota for a test that timed out', async () => {
    server = await startTestServer({
      environment: { PRIME_TIMEOUT_MS: '100', PRIME_WORKERS: '1' },
    });
    ({ key } = await server.mintKey({ limit: 1 }));
    const body = `{"number": "${LARGE_PRIMES[4096]}"}`;
    await Promise.all(Array.from({ length: 3 }, () => checkPrime(server, key, body)));

    expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(200);
  });
});
