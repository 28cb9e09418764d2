import { DataSource } from 'typeorm';

import { ApiKey } from '../src/keys/api-key.entity.js';
import { KeysService } from '../src/keys/keys.service.js';
import { forgeKey, request, startTestServer, TestServer } from './support/test-server.js';

type Route = { method: 'GET' | 'POST'; path: string; json?: unknown };

const GUARDED_ROUTES: Route[] = [
  { method: 'POST', path: '/get-current-time' },
  { method: 'GET', path: '/get-current-time' },
  { method: 'POST', path: '/check-prime', json: { number: 7 } },
];

describe('API key guard', () => {
  let server: TestServer;
  let key: string;
  let revokedKey: string;

  beforeAll(async () => {
    server = await startTestServer();
    ({ key } = await server.mintKey({ limit: 1_000_000 }));
    const revoked = await server.mintKey({ name: 'revoked' });
    revokedKey = revoked.key;
    await server.app.get(KeysService).revoke(revoked.id);
  });

  afterAll(async () => {
    await server.remove();
  });

  describe.each(GUARDED_ROUTES)('$method $path', (route) => {
    const call = (headers: Record<string, string>) =>
      request(server.baseUrl, route.path, { method: route.method, headers, json: route.json });

    it.each([
      ['Authorization: <key>', (k: string) => ({ authorization: k })],
      ['Authorization: Bearer <key>', (k: string) => ({ authorization: `Bearer ${k}` })],
      ['X-API-Key: <key>', (k: string) => ({ 'x-api-key': k })],
      ['the same key in both headers', (k: string) => ({ authorization: k, 'x-api-key': k })],
    ])('accepts %s', async (_label, headers) => {
      const response = await call(headers(key));

      expect(response.status).toBe(200);
    });

    const rejections: [string, () => Record<string, string>, RegExp][] = [
      ['no key', () => ({}), /^Missing API key/],
      ['an empty key', () => ({ authorization: '' }), /^Missing API key/],
      [
        'an empty Bearer key',
        () => ({ authorization: 'Bearer ' }),
        /^Missing API key|^Invalid API key/,
      ],
      ['a malformed key', () => ({ authorization: 'not-a-key' }), /^Invalid API key/],
      ['a 10,000-character key', () => ({ authorization: 'k'.repeat(10_000) }), /^Invalid API key/],
      [
        'a key with non-ASCII text',
        () => ({ authorization: encodeURIComponent('ключ') }),
        /^Invalid API key/,
      ],
      [
        'an unknown key id',
        () => ({ authorization: forgeKey(key, { id: 'A'.repeat(12) }) }),
        /^Invalid API key/,
      ],
      [
        'a bad checksum',
        () => ({ authorization: `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}` }),
        /^Invalid API key/,
      ],
      [
        'a valid key with more bytes after it',
        () => ({ authorization: `${key}${'x'.repeat(30)}` }),
        /^Invalid API key/,
      ],
      [
        'a wrong secret',
        () => ({ authorization: forgeKey(key, { secret: 'B'.repeat(22) }) }),
        /^Invalid API key/,
      ],
      ['a revoked key', () => ({ authorization: revokedKey }), /revoked/],
      ['two different keys', () => ({ authorization: key, 'x-api-key': revokedKey }), /one header/],
    ];

    it.each(rejections)('rejects %s with 401 and a JSON body', async (_label, headers, message) => {
      const response = await call(headers());

      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.stringMatching(message),
      });
    });
  });

  it('gives an unknown id and a wrong secret the same message', async () => {
    const unknownId = await request(server.baseUrl, '/get-current-time', {
      key: forgeKey(key, { id: 'A'.repeat(12) }),
    });
    const wrongSecret = await request(server.baseUrl, '/get-current-time', {
      key: forgeKey(key, { secret: 'B'.repeat(22) }),
    });

    expect(unknownId.body.message).toBe(wrongSecret.body.message);
  });

  it('serves Swagger UI and the OpenAPI document without a key', async () => {
    const ui = await request(server.baseUrl, '/docs', { method: 'GET' });
    const document = await request(server.baseUrl, '/docs-json', { method: 'GET' });

    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
    expect(document.status).toBe(200);
    expect(document.body.components.securitySchemes['api-key']).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'Authorization' }),
    );
    expect(Object.keys(document.body.paths).sort()).toEqual([
      '/check-prime',
      '/get-current-time',
      '/health',
      '/keys/self',
    ]);
  });

  it('documents every response of /check-prime', async () => {
    const document = await request(server.baseUrl, '/docs-json', { method: 'GET' });
    const responses = Object.keys(document.body.paths['/check-prime'].post.responses).sort();

    expect(responses).toEqual(['200', '400', '401', '413', '429', '503']);
  });

  it('answers 404 with a JSON body for an unknown route', async () => {
    const response = await request(server.baseUrl, '/nope', { key });

    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });
});

describe('stored key hashes', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.remove();
  });

  it.each([
    ['truncated', (hash: string) => hash.slice(0, -1)],
    ['with trailing bytes', (hash: string) => `${hash}x`],
  ])('never verify when the hash is %s', async (_label, corrupt) => {
    const { key, id } = await server.mintKey();
    const keys = server.app.get(DataSource).getRepository(ApiKey);
    const { keyHash } = await keys.findOneByOrFail({ id });
    await keys.update({ id }, { keyHash: corrupt(keyHash) });

    const response = await request(server.baseUrl, '/get-current-time', { key });

    expect(response.status).toBe(401);
  });
});
