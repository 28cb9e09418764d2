import type { RedisClients } from '../redis/redis-clients.js';
import { KEY_CHANGES_CHANNEL, KeyChanges } from './key-changes.js';

/** Stands in for RedisClients: delivers what it publishes to its own subscribers, or fails. */
class FakeRedis {
  readonly published: string[] = [];
  private readonly listeners: ((message: string) => void)[] = [];

  constructor(private readonly failPublish = false) {}

  subscribe(channel: string, listener: (message: string) => void): void {
    expect(channel).toBe(KEY_CHANGES_CHANNEL);
    this.listeners.push(listener);
  }

  publish(_channel: string, message: string): Promise<void> {
    if (this.failPublish) {
      return Promise.reject(new Error('Connection is closed.'));
    }

    this.published.push(message);
    return Promise.resolve();
  }

  deliver(message: string): void {
    this.listeners.forEach((listener) => listener(message));
  }
}

describe(KeyChanges.name, () => {
  it('tells local listeners at once', async () => {
    const redis = new FakeRedis();
    const sut = new KeyChanges(redis as unknown as RedisClients);
    const announcedIds: string[] = [];
    sut.onChange((keyId) => announcedIds.push(keyId));

    await sut.announce('abc123DEF456');

    expect(announcedIds).toEqual(['abc123DEF456']);
    expect(redis.published).toEqual(['abc123DEF456']);
  });

  it('passes on announcements from other processes', () => {
    const redis = new FakeRedis();
    const sut = new KeyChanges(redis as unknown as RedisClients);
    const announcedIds: string[] = [];
    sut.onChange((keyId) => announcedIds.push(keyId));
    sut.onModuleInit();

    redis.deliver('otherServer1');

    expect(announcedIds).toEqual(['otherServer1']);
  });

  it('survives a failed publish', async () => {
    const sut = new KeyChanges(new FakeRedis(true) as unknown as RedisClients);
    const announcedIds: string[] = [];
    sut.onChange((keyId) => announcedIds.push(keyId));

    await expect(sut.announce('abc123DEF456')).resolves.toBeUndefined();
    expect(announcedIds).toEqual(['abc123DEF456']);
  });
});
