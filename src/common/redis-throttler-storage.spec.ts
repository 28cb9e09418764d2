import { randomBytes } from 'node:crypto';

import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

import { describeWith } from '../../test/support/requires.js';
import { RedisThrottlerStorage } from './redis-throttler-storage.js';

const REDIS_URL = process.env.REDIS_URL || undefined;

/** A loopback port on which nothing listens, so every connection attempt is refused. */
const CLOSED_REDIS_URL = 'redis://127.0.0.1:1';

/** Options of the server's command connection (src/redis/redis-clients.ts). */
const CLIENT_OPTIONS = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 };

describeWith({ REDIS_URL })(`${RedisThrottlerStorage.name} on Redis`, () => {
  const clients: Redis[] = [];
  // Keys of this run only, because other test runs may share this Redis.
  const key = `redis-throttler-storage-spec:${randomBytes(6).toString('hex')}`;

  const connect = async (): Promise<Redis> => {
    const client = new Redis(REDIS_URL!, CLIENT_OPTIONS);
    clients.push(client);
    await client.connect();
    return client;
  };

  afterAll(() => {
    clients.forEach((client) => client.disconnect());
  });

  it('shares counts between instances', async () => {
    const first = new RedisThrottlerStorage(await connect());
    const second = new RedisThrottlerStorage(await connect());

    const hits = [];
    for (const storage of [first, second, first, second]) {
      hits.push(await storage.increment(key, 60_000, 3, 60_000, 'burst'));
    }

    expect(hits.map((hit) => hit.totalHits)).toEqual([1, 2, 3, 4]);
    expect(hits.map((hit) => hit.isBlocked)).toEqual([false, false, false, true]);
  });

  it('reports the window in seconds', async () => {
    const storage = new RedisThrottlerStorage(await connect());

    const hit = await storage.increment(`${key}:window`, 60_000, 3, 60_000, 'burst');

    expect(hit.timeToExpire).toBe(60);
    expect(hit.isBlocked).toBe(false);
  });
});

describe(`${RedisThrottlerStorage.name} without Redis`, () => {
  let client: Redis;
  let sut: RedisThrottlerStorage;
  let loggedErrors: jest.SpiedFunction<Logger['error']>;

  beforeEach(async () => {
    loggedErrors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    // A refused socket never closes again, so ioredis would hold it 2 s after disconnect().
    client = new Redis(CLOSED_REDIS_URL, { ...CLIENT_OPTIONS, disconnectTimeout: 100 });
    sut = new RedisThrottlerStorage(client);
    // ioredis emits 'error' on each reconnection try, and the first one names the cause.
    const connectionErrors: string[] = [];
    client.on('error', (error: Error) => connectionErrors.push(error.message));
    await expect(client.connect()).rejects.toThrow('Connection is closed.');
    expect(connectionErrors[0]).toMatch(/ECONNREFUSED/);
  });

  afterEach(() => {
    loggedErrors.mockRestore();
    sut.onApplicationShutdown();
    client.disconnect();
  });

  it('counts in the process', async () => {
    const hits = [];
    for (let call = 0; call < 3; call++) {
      hits.push(await sut.increment('key', 60_000, 2, 60_000, 'burst'));
    }

    expect(hits.map((hit) => hit.totalHits)).toEqual([1, 2, 3]);
    expect(hits.map((hit) => hit.isBlocked)).toEqual([false, false, true]);
  });

  it('logs the first failure only', async () => {
    for (let call = 0; call < 3; call++) {
      await sut.increment('key', 60_000, 100, 60_000, 'burst');
    }

    expect(loggedErrors).toHaveBeenCalledTimes(1);
    expect(String(loggedErrors.mock.calls[0][0])).toMatch(/^1 Redis throttler calls failed/);
  });
});
