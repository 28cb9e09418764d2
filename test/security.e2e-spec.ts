import { DataSource } from 'typeorm';

import { ApiKey } from '../src/keys/api-key.entity.js';
import { KeysService } from '../src/keys/keys.service.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { forgeKey, request, startTestServer, TestServer } from './support/test-server.js';

const ADMIN_TOKEN = 'security-suite-admin-token-5f3c9a1e7b2d4f60';

type Route = { method: 'GET' | 'POST'; path: string; json?: unknown };

const GUARDED_ROUTES: Route[] = [
  { method: 'POST', path: '/get-current-time' },
  { method: 'GET', path: '/get-current-time' },
  { method: 'POST', path: '/check-prime', json: { number: 7 } },
  { method: 'GET', path: '/keys/self' },
];

/**
 * Security cases for every guarded route, with a log sink: no minted key and no admin token may
 * appear in a log line, an error body or the database file.
 */
describe('security', () => {
  const logger = new CapturingLogger();
  const secrets: string[] = [ADMIN_TOKEN];
  const errorBodies: string[] = [];
  let server: TestServer;
  let key: string;
  let revokedKey: string;
  let expiredKey: string;

  const mint = async (options: Parameters<KeysService['create']>[0]) => {
    const created = await server.app.get(KeysService).create(options);
    secrets.push(created.key, created.key.split('_')[3]);
    return created;
  };

  const call = async (route: Route, headers: Record<string, string>) => {
    const response = await request(server.baseUrl, route.path, {
      method: route.method,
      headers,
      json: route.json,
    });
    if (response.status >= 400) {
      errorBodies.push(response.text);
    }
    return response;
  };

  beforeAll(async () => {
    server = await startTestServer({ environment: { ADMIN_TOKEN }, logger });
    server.pinClock('2026-12-04T12:00:00Z');
    ({ key } = await mint({ name: 'valid', limit: 1000 }));
    const revoked = await mint({ name: 'revoked' });
    revokedKey = revoked.key;
    await server.app.get(KeysService).revoke(revoked.id);
    ({ key: expiredKey } = await mint({
      name: 'expired',
      expiresAt: Date.parse('2026-12-04T12:00:01Z'),
    }));
    server.pinClock('2026-12-04T12:00:02Z');
  });

  afterAll(async () => {
    await server.remove();
  });

  describe.each(GUARDED_ROUTES)('$method $path', (route) => {
    it.each([
      ['Authorization: <key>', (k: string) => ({ authorization: k })],
      ['Authorization: Bearer <key>', (k: string) => ({ authorization: `Bearer ${k}` })],
      ['X-API-Key: <key>', (k: string) => ({ 'x-api-key': k })],
    ])('accepts the key as %s', async (_label, headers) => {
      expect((await call(route, headers(key))).status).toBe(200);
    });

    const rejections: [string, () => Record<string, string>, RegExp][] = [
      ['no key', () => ({}), /^Missing API key/],
      ['an empty key', () => ({ authorization: '' }), /^Missing API key/],
      [
        'a key of 10,000 characters',
        () => ({ authorization: 'k'.repeat(10_000) }),
        /^Invalid API key/,
      ],
      [
        'a bad checksum',
        () => ({ authorization: `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}` }),
        /^Invalid API key/,
      ],
      [
        'an unknown key id',
        () => ({ authorization: forgeKey(key, { id: 'Z'.repeat(12) }) }),
        /^Invalid API key/,
      ],
      [
        'a wrong secret',
        () => ({ authorization: forgeKey(key, { secret: 'Q'.repeat(22) }) }),
        /^Invalid API key/,
      ],
      ['a revoked key', () => ({ authorization: revokedKey }), /revoked/],
      [
        'an expired key',
        () => ({ authorization: expiredKey }),
        /^API key expired at 2026-12-04T12:00:01.000Z/,
      ],
      ['two different keys', () => ({ authorization: key, 'x-api-key': revokedKey }), /one header/],
    ];

    it.each(rejections)('rejects %s with 401 and a JSON body', async (_label, headers, message) => {
      const response = await call(route, headers());

      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.stringMatching(message),
      });
    });
  });

  it('gives an unknown key id and a wrong secret the same message', async () => {
    const route = GUARDED_ROUTES[0];
    const unknownId = await call(route, { authorization: forgeKey(key, { id: 'Z'.repeat(12) }) });
    const wrongSecret = await call(route, {
      authorization: forgeKey(key, { secret: 'Q'.repeat(22) }),
    });

    expect(unknownId.body.message).toBe(wrongSecret.body.message);
  });

  it('exercises the admin routes and a corrupt stored hash', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = await request(server.baseUrl, '/admin/keys', {
      headers: admin,
      json: { name: 'via-admin' },
    });
    const rotated = await request(server.baseUrl, `/admin/keys/${created.body.id}/rotate`, {
      headers: admin,
    });
    secrets.push(created.body.key, rotated.body.key);
    expect(
      (await call({ method: 'GET', path: '/admin/keys' }, { authorization: 'Bearer wrong-token' }))
        .status,
    ).toBe(401);

    const corrupt = await mint({ name: 'corrupt' });
    await server.app
      .get(DataSource)
      .getRepository(ApiKey)
      .update({ id: corrupt.id }, { keyHash: 'not-a-hash' });
    expect((await call(GUARDED_ROUTES[0], { authorization: corrupt.key })).status).toBe(401);
    expect(
      logger.lines.some((line) => line.includes(`hash of key ${corrupt.id} is not a well-formed`)),
    ).toBe(true);
  });

  describe('after the suite', () => {
    it('found no secret in any log line', () => {
      expect(logger.lines.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        expect(logger.lines.filter((line) => line.includes(secret))).toEqual([]);
      }
    });

    it('found no secret in any error body', () => {
      expect(errorBodies.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        expect(errorBodies.filter((body) => body.includes(secret))).toEqual([]);
      }
    });

    it('found no secret in the database', async () => {
      const stored = await server.database.storedText();

      expect(stored).toContain('$2b$');
      for (const secret of secrets) {
        expect(stored.includes(secret)).toBe(false);
      }
    });
  });
});
