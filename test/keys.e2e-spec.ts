import { DataSource } from 'typeorm';

import { ApiKey } from '../src/keys/api-key.entity.js';
import { KeysService } from '../src/keys/keys.service.js';
import {
  adminRequest,
  checkPrime,
  request,
  startTestServer,
  TEST_ADMIN_TOKEN,
  TestServer,
} from './support/test-server.js';

const ADMIN_TOKEN = TEST_ADMIN_TOKEN;

describe('key lifecycle', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startTestServer({ environment: { ADMIN_TOKEN } });
  });

  afterEach(async () => {
    await server.remove();
  });

  const admin = (path: string, init: Parameters<typeof adminRequest>[2] = {}) =>
    adminRequest(server, path, init);

  /** Reads the expires_at column of key `id` as text, without the entity's conversion. */
  async function storedExpiry(id: string): Promise<string> {
    const placeholder = server.database.engine === 'postgres' ? '$1' : '?';
    const [row] = await server.database.query(
      `SELECT expires_at FROM api_keys WHERE id = ${placeholder}`,
      [id],
    );

    return String(row.expires_at);
  }

  it('rejects an expired key with a message that says so', async () => {
    server.pinClock('2026-12-04T12:00:00Z');
    const keys = server.app.get(KeysService);
    const { key } = await keys.create({
      name: 'short',
      expiresAt: Date.parse('2026-12-04T13:00:00Z'),
    });
    expect((await request(server.baseUrl, '/get-current-time', { key })).status).toBe(200);

    server.pinClock('2026-12-04T13:00:00Z');
    const response = await request(server.baseUrl, '/get-current-time', { key });

    expect(response.status).toBe(401);
    expect(response.body.message).toBe(
      'API key expired at 2026-12-04T13:00:00.000Z. Ask an operator for a new key.',
    );
  });

  it('keeps the old key working during the grace period of a rotation', async () => {
    server.pinClock('2026-12-04T12:00:00Z');
    const keys = server.app.get(KeysService);
    const old = await keys.create({ name: 'rotating', limit: 10 });
    await checkPrime(server, old.key, '{"number": 7}');

    const rotated = await keys.rotate(old.id, 60 * 60 * 1000);

    expect(rotated.name).toBe('rotating');
    expect(rotated.quotas).toEqual([
      expect.objectContaining({ period: 'day', limit: 10, used: 1 }),
    ]);
    expect((await request(server.baseUrl, '/get-current-time', { key: old.key })).status).toBe(200);
    expect((await request(server.baseUrl, '/get-current-time', { key: rotated.key })).status).toBe(
      200,
    );
    expect((await keys.show(old.id)).replacedBy).toBe(rotated.id);

    server.pinClock('2026-12-04T13:00:00Z');
    expect((await request(server.baseUrl, '/get-current-time', { key: old.key })).status).toBe(401);
    expect((await request(server.baseUrl, '/get-current-time', { key: rotated.key })).status).toBe(
      200,
    );
  });

  it('stops the old key at once when rotated without grace', async () => {
    const keys = server.app.get(KeysService);
    const old = await keys.create({ name: 'rotating' });
    await request(server.baseUrl, '/get-current-time', { key: old.key });

    const rotated = await keys.rotate(old.id);

    expect(
      (await request(server.baseUrl, '/get-current-time', { key: old.key })).body.message,
    ).toMatch(/revoked/);
    expect((await request(server.baseUrl, '/get-current-time', { key: rotated.key })).status).toBe(
      200,
    );
    await expect(keys.rotate(old.id)).rejects.toThrow(/revoked, so it cannot be rotated/);
  });

  it('records the last use at most once a minute', async () => {
    server.pinClock('2026-12-04T12:00:00Z');
    const keys = server.app.get(KeysService);
    const { key, id } = await keys.create({ name: 'used' });
    expect((await keys.show(id)).lastUsedAt).toBeNull();

    await request(server.baseUrl, '/get-current-time', { key });
    server.pinClock('2026-12-04T12:00:30Z');
    await request(server.baseUrl, '/get-current-time', { key });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await keys.show(id)).lastUsedAt).toBe('2026-12-04T12:00:00.000Z');

    server.pinClock('2026-12-04T12:01:00Z');
    await request(server.baseUrl, '/get-current-time', { key });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await keys.show(id)).lastUsedAt).toBe('2026-12-04T12:01:00.000Z');
  });

  describe('GET /keys/self', () => {
    it('shows the presented key and uses no quota', async () => {
      const { key, id } = await server.mintKey({ name: 'me', limit: 3, period: 'hour' });
      await checkPrime(server, key, '{"number": 7}');

      const first = await request(server.baseUrl, '/keys/self', { method: 'GET', key });
      const second = await request(server.baseUrl, '/keys/self', { method: 'GET', key });

      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ id, name: 'me', status: 'active', expiresAt: null });
      expect(first.body.quotas).toEqual([
        expect.objectContaining({
          period: 'hour',
          limit: 3,
          used: 1,
          remaining: 2,
          resetsAt: expect.any(String),
        }),
      ]);
      expect(second.body.quotas[0].used).toBe(1);
      expect(JSON.stringify(first.body)).not.toContain(key);
    });
  });

  describe('admin routes', () => {
    it('create, list, show, rotate and revoke a key', async () => {
      const created = await admin('', {
        method: 'POST',
        json: { name: 'partner', limit: 100, period: 'hour', expires: '30d' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'partner',
        status: 'active',
        key: expect.stringMatching(/^pt_/),
      });
      const { id, key } = created.body;
      expect((await request(server.baseUrl, '/get-current-time', { key })).status).toBe(200);

      const listed = await admin('');
      expect(listed.body.map((entry: { id: string }) => entry.id)).toContain(id);
      expect(JSON.stringify(listed.body)).not.toContain(key);

      expect((await admin(`/${id}`)).body).toMatchObject({ id, name: 'partner' });

      const rotated = await admin(`/${id}/rotate`, { method: 'POST', json: { grace: '1h' } });
      expect(rotated.status).toBe(201);
      expect(rotated.body.key).not.toBe(key);

      const revoked = await admin(`/${rotated.body.id}/revoke`, { method: 'POST' });
      expect(revoked.status).toBe(200);
      expect(revoked.body.status).toBe('revoked');
      expect(
        (await request(server.baseUrl, '/get-current-time', { key: rotated.body.key })).status,
      ).toBe(401);
    });

    it.each([
      ['a missing name', { limit: 5 }, 'name'],
      ['a negative limit', { name: 'x', limit: -1 }, 'limit'],
      ['a fractional limit', { name: 'x', limit: 1.5 }, 'limit'],
      ['an unknown period', { name: 'x', period: 'week' }, 'period'],
      ['an unknown field', { name: 'x', owner: 'me' }, 'owner'],
    ])('rejects %s with 400 naming the field', async (_label, json, field) => {
      const response = await admin('', { method: 'POST', json });

      expect(response.status).toBe(400);
      expect(response.body.field).toBe(field);
    });

    it.each([
      ['a bad duration', 'soon'],
      ['a past date', '2001-01-01'],
      ['a duration past the year 9999', '99999999999999999999d'],
      ['a date past the year 9999', '9999-12-31T23:00:00-01:00'],
    ])('rejects an expiry with %s', async (_label, expires) => {
      const response = await admin('', { method: 'POST', json: { name: 'x', expires } });

      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(/^expires must/);
      expect(response.body.field).toBe('expires');
    });

    it('stores a fractional-millisecond expiry as whole milliseconds', async () => {
      const created = await admin('', { method: 'POST', json: { name: 'x', expires: '0.5ms' } });

      expect(created.status).toBe(201);
      expect(await storedExpiry(created.body.id)).toMatch(/^\d+$/);
    });

    it('rotates with a fractional-millisecond grace', async () => {
      const { id } = await server.mintKey();

      const rotated = await admin(`/${id}/rotate`, { method: 'POST', json: { grace: '1.5ms' } });

      expect(rotated.status).toBe(201);
      expect(await storedExpiry(id)).toMatch(/^\d+$/);
    });

    it('rejects a grace longer than 8000 years', async () => {
      const { id } = await server.mintKey();

      const rotated = await admin(`/${id}/rotate`, {
        method: 'POST',
        json: { grace: '99999999999999999999d' },
      });

      expect(rotated.status).toBe(400);
      expect(rotated.body.field).toBe('grace');
    });

    it('rotates without a body, stopping the old key at once', async () => {
      const { id, key } = await server.mintKey();

      const rotated = await admin(`/${id}/rotate`, { method: 'POST' });

      expect(rotated.status).toBe(201);
      expect((await request(server.baseUrl, '/get-current-time', { key })).status).toBe(401);
    });

    it('are documented when ADMIN_TOKEN is set', async () => {
      const document = await request(server.baseUrl, '/docs-json', { method: 'GET' });

      expect(Object.keys(document.body.paths)).toContain('/admin/keys/{id}/rotate');
      expect(document.body.components.securitySchemes['admin-token']).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
    });

    it('refuses to rotate a key that was already rotated', async () => {
      const { id } = await server.mintKey();
      const first = await admin(`/${id}/rotate`, { method: 'POST', json: { grace: '1h' } });

      const second = await admin(`/${id}/rotate`, { method: 'POST', json: { grace: '1h' } });

      expect(second.status).toBe(409);
      expect(second.body.message).toBe(
        `Key ${id} was already rotated into ${first.body.id}. Rotate that key instead.`,
      );
    });

    it('returns 404 for an unknown key id', async () => {
      const response = await admin('/nosuchkeyid0');

      expect(response.status).toBe(404);
      expect(response.body.message).toContain('nosuchkeyid0');
    });

    it('rejects a missing or wrong admin token with 401', async () => {
      expect((await request(server.baseUrl, '/admin/keys', { method: 'GET' })).status).toBe(401);
      expect((await admin('', { token: `${ADMIN_TOKEN}x` })).status).toBe(401);
    });

    it('rejects an API key in place of the admin token', async () => {
      const { key } = await server.mintKey();

      expect((await admin('', { token: key })).status).toBe(401);
    });
  });
});

describe('key row cache', () => {
  it('sees a revocation by another process within KEY_ROW_CACHE_MS', async () => {
    // Long enough that the first checks below run inside it even on a loaded machine.
    const server = await startTestServer({ environment: { KEY_ROW_CACHE_MS: '2000' } });
    try {
      const { key, id } = await server.mintKey({ limit: 10 });
      expect((await request(server.baseUrl, '/get-current-time', { key })).status).toBe(200);

      // Written straight to the database, as the CLI or another server would.
      await server.app
        .get(DataSource)
        .getRepository(ApiKey)
        .update({ id }, { revokedAt: Date.now() });

      expect((await request(server.baseUrl, '/get-current-time', { key })).status).toBe(200);
      expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect((await request(server.baseUrl, '/get-current-time', { key })).status).toBe(401);
    } finally {
      await server.remove();
    }
  });
});

describe('admin routes without ADMIN_TOKEN', () => {
  it('return 404 as if they did not exist', async () => {
    const server = await startTestServer();
    try {
      const response = await request(server.baseUrl, '/admin/keys', {
        method: 'GET',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });

      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      const document = await request(server.baseUrl, '/docs-json', { method: 'GET' });
      expect(Object.keys(document.body.paths).filter((path) => path.startsWith('/admin'))).toEqual(
        [],
      );
    } finally {
      await server.remove();
    }
  });
});

describe('failed authentication throttling', () => {
  it('answers 429 with Retry-After after too many failures, even for a valid key', async () => {
    const server = await startTestServer({
      environment: { AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '60' },
    });
    try {
      const { key } = await server.mintKey();
      for (let attempt = 0; attempt < 3; attempt++) {
        expect((await request(server.baseUrl, '/get-current-time', { key: 'wrong' })).status).toBe(
          401,
        );
      }

      const blocked = await request(server.baseUrl, '/get-current-time', { key });

      expect(blocked.status).toBe(429);
      expect(blocked.body.message).toMatch(/^Too many failed authentication attempts/);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    } finally {
      await server.remove();
    }
  });

  it('does not count successful requests', async () => {
    const server = await startTestServer({ environment: { AUTH_FAILURE_LIMIT: '2' } });
    try {
      const { key } = await server.mintKey();
      for (let attempt = 0; attempt < 5; attempt++) {
        expect((await request(server.baseUrl, '/get-current-time', { key })).status).toBe(200);
      }
    } finally {
      await server.remove();
    }
  });
});
