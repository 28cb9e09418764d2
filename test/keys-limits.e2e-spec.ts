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

/** Lists the period and limit of each quota window in a key summary, in their order. */
function windowsOf(summary: { quotas: { period: string; limit: number }[] }): [string, number][] {
  return summary.quotas.map((quota) => [quota.period, quota.limit]);
}

describe('hourly and daily key limits', () => {
  let server: TestServer;
  let keys: KeysService;

  beforeEach(async () => {
    server = await startTestServer({ environment: { ADMIN_TOKEN } });
    keys = server.app.get(KeysService);
  });

  afterEach(async () => {
    await server.remove();
  });

  const admin = (path: string, init: Parameters<typeof adminRequest>[2] = {}) =>
    adminRequest(server, path, init);

  describe('KeysService.create', () => {
    it('applies the configured defaults', async () => {
      const created = await keys.create({ name: 'default' });

      expect(windowsOf(created)).toEqual([['day', 5]]);
    });

    it('sets both windows', async () => {
      const created = await keys.create({ name: 'both', hourlyLimit: 100, dailyLimit: 1000 });

      expect(windowsOf(created)).toEqual([
        ['hour', 100],
        ['day', 1000],
      ]);
    });

    it('takes the default only for an undefined window', async () => {
      const created = await keys.create({ name: 'hourly', hourlyLimit: 10 });

      expect(windowsOf(created)).toEqual([
        ['hour', 10],
        ['day', 5],
      ]);
    });

    it('creates an unlimited key from two nulls', async () => {
      const created = await keys.create({ name: 'free', hourlyLimit: null, dailyLimit: null });

      expect(created.quotas).toEqual([]);
      for (let call = 0; call < 7; call++) {
        expect((await checkPrime(server, created.key, '{"number": 7}')).status).toBe(200);
      }
    });

    it.each([
      [{ limit: 3, period: 'hour' as const }, [['hour', 3]]],
      [{ limit: 3, period: 'day' as const }, [['day', 3]]],
      [{ limit: 3 }, [['day', 3]]],
    ])('reads the short form %j as one window', async (options, expected) => {
      expect(windowsOf(await keys.create({ name: 'short', ...options }))).toEqual(expected);
    });

    it('rejects the short form mixed with window limits', async () => {
      await expect(keys.create({ name: 'x', limit: 3, dailyLimit: 4 })).rejects.toThrow(
        /limit and period cannot be combined with hourlyLimit or dailyLimit/,
      );
    });

    it('rejects a period without a limit', async () => {
      await expect(keys.create({ name: 'x', period: 'hour' })).rejects.toThrow(
        'period without limit is invalid. Send both, such as {"limit": 100, "period": "hour"}',
      );
    });

    it.each([-1, 1.5, Number.NaN])('rejects the limit %p', async (limit) => {
      await expect(keys.create({ name: 'x', hourlyLimit: limit })).rejects.toThrow(
        `hourlyLimit must be an integer from 0 to 2147483647, or null for unlimited, got ${limit}`,
      );
    });
  });

  describe('the configured defaults', () => {
    it('come from QUOTA_HOURLY_LIMIT and QUOTA_DAILY_LIMIT', async () => {
      const configured = await startTestServer({
        environment: { QUOTA_HOURLY_LIMIT: '50', QUOTA_DAILY_LIMIT: 'none' },
      });
      try {
        const created = await configured.app.get(KeysService).create({ name: 'configured' });

        expect(windowsOf(created)).toEqual([['hour', 50]]);
      } finally {
        await configured.remove();
      }
    });
  });

  describe('KeysService.setLimits', () => {
    it('changes one window and keeps the other and the usage', async () => {
      server.pinClock('2026-12-04T12:00:00Z');
      const { id, key } = await keys.create({ name: 'change', dailyLimit: 10 });
      await checkPrime(server, key, '{"number": 7}');
      await checkPrime(server, key, '{"number": 7}');

      const changed = await keys.setLimits(id, { hourlyLimit: 3 });

      expect(changed.quotas).toEqual([
        expect.objectContaining({ period: 'hour', limit: 3, used: 2, remaining: 1 }),
        expect.objectContaining({ period: 'day', limit: 10, used: 2, remaining: 8 }),
      ]);
    });

    it('removes a limit for null', async () => {
      const { id } = await keys.create({ name: 'remove', hourlyLimit: 3, dailyLimit: 10 });

      const changed = await keys.setLimits(id, { dailyLimit: null });

      expect(windowsOf(changed)).toEqual([['hour', 3]]);
    });

    it('takes effect on the next request', async () => {
      server.pinClock('2026-12-04T12:00:00Z');
      const { id, key } = await keys.create({ name: 'raise', hourlyLimit: null, dailyLimit: 1 });
      expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(200);
      expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(429);

      await keys.setLimits(id, { dailyLimit: 3 });
      expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(200);

      await keys.setLimits(id, { hourlyLimit: 2 });
      expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(429);
    });

    it('drops the cached key row', async () => {
      const cached = await startTestServer({ environment: { KEY_ROW_CACHE_MS: '60000' } });
      try {
        const service = cached.app.get(KeysService);
        const { id, key } = await service.create({ name: 'cached', dailyLimit: 10 });
        expect((await service.verify(key)).quotaWindows).toEqual([
          expect.objectContaining({ period: 'day', limit: 10 }),
        ]);

        await service.setLimits(id, { hourlyLimit: 4, dailyLimit: null });

        expect((await service.verify(key)).quotaWindows).toEqual([
          expect.objectContaining({ period: 'hour', limit: 4 }),
        ]);
      } finally {
        await cached.remove();
      }
    });

    it('rejects an unknown id with 404', async () => {
      await expect(keys.setLimits('nosuchkeyid0', { dailyLimit: 1 })).rejects.toThrow(
        'No API key has the id "nosuchkeyid0". List the keys to see their ids.',
      );
    });

    it('rejects a revoked key', async () => {
      const { id } = await keys.create({ name: 'revoked' });
      await keys.revoke(id);

      await expect(keys.setLimits(id, { dailyLimit: 1 })).rejects.toThrow(
        `Key ${id} is revoked, so its limits cannot be changed. Create a new key.`,
      );
    });

    it('rejects a call that changes nothing', async () => {
      const { id } = await keys.create({ name: 'nothing' });

      await expect(keys.setLimits(id, {})).rejects.toThrow(
        /^Missing hourlyLimit and dailyLimit\. Send one or both/,
      );
    });
  });

  describe('rotation', () => {
    it('keeps both limits', async () => {
      const { id } = await keys.create({ name: 'rotate', hourlyLimit: 7, dailyLimit: 70 });
      await keys.setLimits(id, { hourlyLimit: 8 });

      const rotated = await keys.rotate(id);

      expect(windowsOf(rotated)).toEqual([
        ['hour', 8],
        ['day', 70],
      ]);
    });

    it('keeps an unlimited key unlimited', async () => {
      const { id } = await keys.create({ name: 'free', hourlyLimit: null, dailyLimit: null });

      expect((await keys.rotate(id)).quotas).toEqual([]);
    });
  });

  describe('POST /admin/keys', () => {
    it('accepts hourlyLimit and dailyLimit', async () => {
      const response = await admin('', {
        method: 'POST',
        json: { name: 'partner', hourlyLimit: 100, dailyLimit: 1000 },
      });

      expect(response.status).toBe(201);
      expect(windowsOf(response.body)).toEqual([
        ['hour', 100],
        ['day', 1000],
      ]);
    });

    it('creates an unlimited key from two nulls', async () => {
      const response = await admin('', {
        method: 'POST',
        json: { name: 'free', hourlyLimit: null, dailyLimit: null },
      });

      expect(response.status).toBe(201);
      expect(response.body.quotas).toEqual([]);
    });

    it('still accepts the short form', async () => {
      const response = await admin('', {
        method: 'POST',
        json: { name: 'short', limit: 9, period: 'hour' },
      });

      expect(response.status).toBe(201);
      expect(windowsOf(response.body)).toEqual([['hour', 9]]);
    });

    it('rejects the short form mixed with window limits', async () => {
      const response = await admin('', {
        method: 'POST',
        json: { name: 'mixed', limit: 9, period: 'hour', dailyLimit: 100 },
      });

      expect(response.status).toBe(400);
      expect(response.body.message).toBe(
        'limit and period cannot be combined with hourlyLimit or dailyLimit. Send either limit ' +
          '(with period hour or day) for one window, or hourlyLimit and dailyLimit.',
      );
      expect(response.body.field).toBe('limit');
    });

    it.each([
      ['a period without limit', { name: 'x', period: 'hour' }, 'limit'],
      ['a negative hourlyLimit', { name: 'x', hourlyLimit: -1 }, 'hourlyLimit'],
      ['a fractional dailyLimit', { name: 'x', dailyLimit: 2.5 }, 'dailyLimit'],
      ['a dailyLimit string', { name: 'x', dailyLimit: '5' }, 'dailyLimit'],
      ['a null limit', { name: 'x', limit: null }, 'limit'],
      ['an hourlyLimit above 2^31-1', { name: 'x', hourlyLimit: 2147483648 }, 'hourlyLimit'],
      ['a limit above 2^31-1', { name: 'x', limit: 2147483648 }, 'limit'],
    ])('rejects %s with 400 naming the field', async (_label, json, field) => {
      const response = await admin('', { method: 'POST', json });

      expect(response.status).toBe(400);
      expect(response.body.field).toBe(field);
    });
  });

  describe('PATCH /admin/keys/:id', () => {
    it('changes the limits and returns the key summary', async () => {
      const { id, key } = await keys.create({ name: 'partner' });

      const response = await admin(`/${id}`, {
        method: 'PATCH',
        json: { hourlyLimit: 100, dailyLimit: null },
      });

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id, name: 'partner', status: 'active' });
      expect(windowsOf(response.body)).toEqual([['hour', 100]]);
      expect(JSON.stringify(response.body)).not.toContain(key);
      expect(windowsOf(await keys.show(id))).toEqual([['hour', 100]]);
    });

    it('keeps a window that the body leaves out', async () => {
      const { id } = await keys.create({ name: 'partner', hourlyLimit: 10, dailyLimit: 100 });

      const response = await admin(`/${id}`, { method: 'PATCH', json: { dailyLimit: 200 } });

      expect(windowsOf(response.body)).toEqual([
        ['hour', 10],
        ['day', 200],
      ]);
    });

    it('returns 404 for an unknown key id', async () => {
      const response = await admin('/nosuchkeyid0', { method: 'PATCH', json: { dailyLimit: 1 } });

      expect(response.status).toBe(404);
      expect(response.body.message).toBe(
        'No API key has the id "nosuchkeyid0". List the keys to see their ids.',
      );
    });

    it('returns 409 for a revoked key', async () => {
      const { id } = await keys.create({ name: 'revoked' });
      await keys.revoke(id);

      const response = await admin(`/${id}`, { method: 'PATCH', json: { dailyLimit: 1 } });

      expect(response.status).toBe(409);
      expect(response.body.message).toBe(
        `Key ${id} is revoked, so its limits cannot be changed. Create a new key.`,
      );
    });

    it.each([
      ['a negative hourlyLimit', { hourlyLimit: -1 }, 'hourlyLimit'],
      ['a fractional dailyLimit', { dailyLimit: 1.5 }, 'dailyLimit'],
      ['a dailyLimit string', { dailyLimit: '5' }, 'dailyLimit'],
      ['a dailyLimit above 2^31-1', { dailyLimit: 2147483648 }, 'dailyLimit'],
      ['an empty body', {}, 'body'],
      ['an unknown field', { limit: 5 }, 'limit'],
      ['a name', { name: 'renamed', dailyLimit: 5 }, 'name'],
    ])('rejects %s with 400 naming the field', async (_label, json, field) => {
      const { id } = await keys.create({ name: 'partner' });

      const response = await admin(`/${id}`, { method: 'PATCH', json });

      expect(response.status).toBe(400);
      expect(response.body.field).toBe(field);
      expect(windowsOf(await keys.show(id))).toEqual([['day', 5]]);
    });

    it('names the accepted values for a bad limit', async () => {
      const { id } = await keys.create({ name: 'partner' });

      const response = await admin(`/${id}`, { method: 'PATCH', json: { hourlyLimit: -1 } });

      expect(response.body.message).toBe(
        'hourlyLimit must be an integer from 0 to 2147483647, or null for unlimited',
      );
    });

    it('rejects a request without a body', async () => {
      const { id } = await keys.create({ name: 'partner' });

      const response = await admin(`/${id}`, { method: 'PATCH' });

      expect(response.status).toBe(400);
      expect(response.body.field).toBe('body');
    });

    it('rejects a missing admin token with 401', async () => {
      const { id } = await keys.create({ name: 'partner' });

      const response = await request(server.baseUrl, `/admin/keys/${id}`, {
        method: 'PATCH',
        json: { dailyLimit: 1 },
      });

      expect(response.status).toBe(401);
    });

    it('is documented with its responses and examples', async () => {
      const document = await request(server.baseUrl, '/docs-json', { method: 'GET' });
      const operation = document.body.paths['/admin/keys/{id}'].patch;

      expect(operation.summary).toBe('Change the limits of a key');
      expect(Object.keys(operation.responses)).toEqual(
        expect.arrayContaining(['200', '400', '401', '404', '409']),
      );
      expect(
        Object.keys(operation.requestBody.content['application/json'].examples),
      ).not.toHaveLength(0);
      expect(document.body.components.schemas.UpdateKeyLimitsRequestDto.properties).toMatchObject({
        hourlyLimit: { type: 'integer', nullable: true, minimum: 0 },
        dailyLimit: { type: 'integer', nullable: true, minimum: 0 },
      });
    });
  });
});
