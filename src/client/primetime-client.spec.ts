import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import { ApiError, InvalidInputError, NetworkError, TimeoutError } from './errors.js';
import { PrimetimeClient } from './primetime-client.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (request: Recorded, response: ServerResponse) => void;

/** Starts a stub server on 127.0.0.1 that records each request and responds with `handler`. */
async function startStub(handler: Handler): Promise<{
  baseUrl: string;
  requests: Recorded[];
  close: () => Promise<void>;
}> {
  const requests: Recorded[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const recorded = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
      };
      requests.push(recorded);
      handler(recorded, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(body);
}

const PRIME_127 = '170141183460469231731687303715884105727';
const VERDICT =
  '"isPrime":true,"result":"prime","method":"miller_rabin_fixed_bases","bits":127,"digits":39';

describe(PrimetimeClient.name, () => {
  let stub: Awaited<ReturnType<typeof startStub>>;
  let handler: Handler;

  beforeEach(async () => {
    handler = (_request, response) => sendJson(response, 500, '{}');
    stub = await startStub((request, response) => handler(request, response));
  });

  afterEach(async () => {
    await stub.close();
  });

  function client(timeoutMs?: number): PrimetimeClient {
    return new PrimetimeClient({ baseUrl: stub.baseUrl, apiKey: 'pt_test_key', timeoutMs });
  }

  describe('checkPrime', () => {
    it('sends the number as a digit string', async () => {
      handler = (request, response) => {
        const sent = JSON.parse(request.body).number;
        sendJson(response, 200, `{"number":${JSON.stringify(sent)},${VERDICT}}`);
      };

      const result = await client().checkPrime(PRIME_127);

      expect(stub.requests[0].method).toBe('POST');
      expect(stub.requests[0].url).toBe('/check-prime');
      expect(stub.requests[0].body).toBe(`{"number":"${PRIME_127}"}`);
      expect(stub.requests[0].headers['content-type']).toBe('application/json');
      expect(stub.requests[0].headers.authorization).toBe('Bearer pt_test_key');
      expect(result.number).toBe(PRIME_127);
      expect(result.isPrime).toBe(true);
      expect(result.bits).toBe(127);
    });

    it('sends a bigint as its exact digits', async () => {
      handler = (_request, response) =>
        sendJson(response, 200, `{"number":"-${PRIME_127}",${VERDICT}}`);

      const result = await client().checkPrime(-(2n ** 127n - 1n));

      expect(stub.requests[0].body).toBe(`{"number":"-${PRIME_127}"}`);
      expect(result.number).toBe(`-${PRIME_127}`);
    });

    it('keeps every digit of a bare number echo', async () => {
      handler = (_request, response) =>
        sendJson(response, 200, `{"number":${PRIME_127},${VERDICT}}`);

      const result = await client().checkPrime(PRIME_127);

      expect(result.number).toBe(PRIME_127);
    });

    it.each([['7.5'], [''], [' 7'], ['0x10'], ['1e3'], ['--7'], [7], [null], [{}]])(
      'rejects %p without a request',
      async (input) => {
        const attempt = client().checkPrime(input as string);

        await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
        await expect(attempt).rejects.toMatchObject({ field: 'number' });
        expect(stub.requests).toHaveLength(0);
      },
    );

    it('names BigInt in the error for a JS number', async () => {
      await expect(client().checkPrime(7 as unknown as string)).rejects.toThrow('BigInt(7)');
    });
  });

  describe('getCurrentTime', () => {
    const TIME =
      '{"currentTime":"2026-12-04 21:30:05","iso":"2026-12-04T21:30:05.123+01:00","timeZone":"Europe/Paris","unixMs":1796416205123}';

    it('sends no query without a timezone', async () => {
      handler = (_request, response) => sendJson(response, 200, TIME);

      const time = await client().getCurrentTime();

      expect(stub.requests[0].method).toBe('GET');
      expect(stub.requests[0].url).toBe('/get-current-time');
      expect(time.timeZone).toBe('Europe/Paris');
      expect(time.unixMs).toBe(1796416205123);
    });

    it('sends the timezone as a query parameter', async () => {
      handler = (_request, response) => sendJson(response, 200, TIME);

      await client().getCurrentTime({ timezone: 'America/Argentina/Buenos_Aires' });

      expect(stub.requests[0].url).toBe(
        '/get-current-time?timezone=America%2FArgentina%2FBuenos_Aires',
      );
    });

    it('rejects an empty timezone without a request', async () => {
      await expect(client().getCurrentTime({ timezone: ' ' })).rejects.toMatchObject({
        name: 'InvalidInputError',
        field: 'timezone',
      });
      expect(stub.requests).toHaveLength(0);
    });

    it('keeps a path prefix of the base URL', async () => {
      handler = (_request, response) => sendJson(response, 200, TIME);
      const prefixed = new PrimetimeClient({ baseUrl: `${stub.baseUrl}/api/`, apiKey: 'k' });

      await prefixed.getCurrentTime();

      expect(stub.requests[0].url).toBe('/api/get-current-time');
    });
  });

  describe('errors', () => {
    it('throws ApiError with status and field', async () => {
      handler = (_request, response) =>
        sendJson(
          response,
          413,
          '{"statusCode":413,"error":"Payload Too Large","message":"number has 5000 bits","field":"number"}',
        );

      const error = await client()
        .checkPrime('7')
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({
        status: 413,
        message: 'number has 5000 bits',
        field: 'number',
      });
      expect((error as ApiError).retryAfter).toBeUndefined();
    });

    it('reads a 429 reason, window and Retry-After', async () => {
      handler = (_request, response) =>
        sendJson(
          response,
          429,
          '{"statusCode":429,"error":"Too Many Requests","message":"Request limit exceeded.","reason":"quota","window":"day","limit":2,"windowSeconds":86400,"retryAfter":3945}',
          {
            'retry-after': '3945',
            'ratelimit-policy': '"day";q=2;w=86400',
            ratelimit: '"day";r=0;t=3945',
            'x-ratelimit-limit': '2',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': '1796428800',
          },
        );
      const sut = client();

      const error = (await sut.checkPrime('7').catch((caught: unknown) => caught)) as ApiError;

      expect(error.status).toBe(429);
      expect(error.reason).toBe('quota');
      expect(error.window).toBe('day');
      expect(error.retryAfter).toBe(3945);
      expect(error.rateLimit).toEqual({
        policy: '"day";q=2;w=86400',
        rateLimit: '"day";r=0;t=3945',
        limit: 2,
        remaining: 0,
        reset: 1796428800,
      });
      expect(sut.lastRateLimit).toEqual(error.rateLimit);
    });

    it('takes retryAfter from the body without the header', async () => {
      handler = (_request, response) =>
        sendJson(response, 429, '{"statusCode":429,"message":"Slow down.","retryAfter":2}');

      await expect(client().checkPrime('7')).rejects.toMatchObject({ retryAfter: 2 });
    });

    it('reports a body that is not JSON by its status', async () => {
      handler = (_request, response) => {
        response.writeHead(502, { 'content-type': 'text/html' });
        response.end('<h1>Bad Gateway</h1>');
      };

      await expect(client().getCurrentTime()).rejects.toMatchObject({
        name: 'ApiError',
        status: 502,
        message: 'The server returned 502 Bad Gateway.',
        body: undefined,
      });
    });

    it('throws TimeoutError when no response arrives', async () => {
      handler = () => undefined;

      const error = await client(200)
        .getCurrentTime()
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).timeoutMs).toBe(200);
    });

    it('throws NetworkError when the connection is refused', async () => {
      await stub.close();

      const error = await client()
        .getCurrentTime()
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(NetworkError);
      expect(error).not.toBeInstanceOf(TimeoutError);
      expect(error).not.toBeInstanceOf(ApiError);
      expect((error as Error).message).toContain('ECONNREFUSED');
    });
  });

  describe('rate-limit headers', () => {
    it('stores those of the last success', async () => {
      handler = (_request, response) =>
        sendJson(response, 200, `{"number":"7",${VERDICT}}`, {
          'x-ratelimit-limit': '100',
          'x-ratelimit-remaining': '99',
        });
      const sut = client();

      expect(sut.lastRateLimit).toBeUndefined();
      await sut.checkPrime('7');

      expect(sut.lastRateLimit).toEqual({
        policy: undefined,
        rateLimit: undefined,
        limit: 100,
        remaining: 99,
        reset: undefined,
      });
    });
  });

  describe('constructor', () => {
    it.each([['not a url'], ['ftp://127.0.0.1/'], ['']])('rejects baseUrl %p', (baseUrl) => {
      expect(() => new PrimetimeClient({ baseUrl, apiKey: 'k' })).toThrow(InvalidInputError);
    });

    it('rejects an empty key', () => {
      expect(() => new PrimetimeClient({ baseUrl: stub.baseUrl, apiKey: '' })).toThrow('apiKey');
    });

    it.each([[0], [-1], [1.5]])('rejects timeoutMs %p', (timeoutMs) => {
      expect(() => new PrimetimeClient({ baseUrl: stub.baseUrl, apiKey: 'k', timeoutMs })).toThrow(
        'timeoutMs',
      );
    });
  });
});
