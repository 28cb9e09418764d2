import { FixedWindowThrottlerStorage } from './fixed-window-storage.js';

describe(FixedWindowThrottlerStorage.name, () => {
  let nowMs: number;
  let sut: FixedWindowThrottlerStorage;

  beforeEach(() => {
    nowMs = 1_000_000;
    sut = new FixedWindowThrottlerStorage(() => nowMs);
  });

  afterEach(() => {
    sut.onApplicationShutdown();
  });

  it('counts hits up to the limit, then blocks until the window ends', async () => {
    const first = await sut.increment('key', 1000, 2, 0, 'burst');
    const second = await sut.increment('key', 1000, 2, 0, 'burst');
    nowMs += 400;
    const third = await sut.increment('key', 1000, 2, 0, 'burst');

    expect([first.totalHits, second.totalHits]).toEqual([1, 2]);
    expect([first.isBlocked, second.isBlocked]).toEqual([false, false]);
    expect(third).toEqual({
      totalHits: 3,
      timeToExpire: 1,
      isBlocked: true,
      timeToBlockExpire: 1,
      windowEndsAtMs: 1_001_000,
    });
  });

  it('starts a new window once the old one has ended', async () => {
    await sut.increment('key', 1000, 1, 0, 'burst');
    nowMs += 1000;

    expect(await sut.increment('key', 1000, 1, 0, 'burst')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('keeps keys and throttler names apart', async () => {
    await sut.increment('a', 1000, 1, 0, 'burst');

    expect((await sut.increment('b', 1000, 1, 0, 'burst')).isBlocked).toBe(false);
    expect((await sut.increment('a', 1000, 1, 0, 'auth-failures')).isBlocked).toBe(false);
    expect((await sut.increment('a', 1000, 1, 0, 'burst')).isBlocked).toBe(true);
  });

  it('blocks for blockDuration past the window when one is given', async () => {
    await sut.increment('key', 1000, 1, 0, 'burst');
    const blocked = await sut.increment('key', 1000, 1, 5000, 'burst');
    nowMs += 2000;
    const stillBlocked = await sut.increment('key', 1000, 1, 5000, 'burst');
    nowMs += 3000;

    expect(blocked.timeToBlockExpire).toBe(5);
    expect(stillBlocked).toMatchObject({ isBlocked: true, timeToBlockExpire: 3 });
    expect((await sut.increment('key', 1000, 1, 5000, 'burst')).isBlocked).toBe(false);
  });

  it('keeps one counter per window, however many hits it holds', async () => {
    for (let hit = 0; hit < 100_000; hit++) {
      await sut.increment('key', 1000, 1_000_000, 0, 'burst');
    }

    expect((await sut.increment('key', 1000, 1_000_000, 0, 'burst')).totalHits).toBe(100_001);
  });
});
