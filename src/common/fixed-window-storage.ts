import type { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';

interface Counter {
  hits: number;
  windowEndsAt: number;
  blockedUntil: number;
}

const SWEEP_INTERVAL_MS = 60_000;

/** A throttler record with the exact end of its window, which the seconds of the record round. */
export interface TimedThrottlerRecord extends ThrottlerStorageRecord {
  windowEndsAtMs: number;
}

/**
 * In-memory storage for @nestjs/throttler that counts hits in fixed windows: O(1) per request.
 * The throttler's default storage keeps one expiry time per hit and scans them on every request,
 * which costs as much as the limit allows hits, so a limit of thousands per second slows every
 * request. A window starts at a key's first hit and lasts `ttl` milliseconds; a hit over the limit
 * is not counted. With `blockDuration` above 0, the hit over the limit blocks the key that long.
 */
export class FixedWindowThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly counters = new Map<string, Counter>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.forgetEndedWindows(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<TimedThrottlerRecord> {
    const nowMs = this.now();
    const id = `${throttlerName}\u0000${key}`;
    let counter = this.counters.get(id);
    if (!counter || (counter.windowEndsAt <= nowMs && counter.blockedUntil <= nowMs)) {
      counter = { hits: 0, windowEndsAt: nowMs + ttl, blockedUntil: 0 };
      this.counters.set(id, counter);
    }

    const blocked = counter.blockedUntil > nowMs || counter.hits >= limit;
    if (!blocked) {
      counter.hits++;
    } else if (blockDuration > 0 && counter.blockedUntil <= nowMs) {
      counter.blockedUntil = nowMs + blockDuration;
    }

    const blockEndsAt = Math.max(counter.blockedUntil, counter.windowEndsAt);

    return Promise.resolve({
      totalHits: blocked ? limit + 1 : counter.hits,
      timeToExpire: seconds(counter.windowEndsAt - nowMs),
      isBlocked: blocked,
      timeToBlockExpire: blocked ? seconds(blockEndsAt - nowMs) : 0,
      windowEndsAtMs: blocked ? blockEndsAt : counter.windowEndsAt,
    });
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    this.counters.clear();
  }

  private forgetEndedWindows(): void {
    const nowMs = this.now();
    for (const [id, counter] of this.counters) {
      if (counter.windowEndsAt <= nowMs && counter.blockedUntil <= nowMs) {
        this.counters.delete(id);
      }
    }
  }
}

/** Whole seconds, rounded up, as the throttler's records report them. */
function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
