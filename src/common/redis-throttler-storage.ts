import { Logger } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';
import type { Redis } from 'ioredis';

import { FixedWindowThrottlerStorage } from './fixed-window-storage.js';

/** At most one log line per this many milliseconds while Redis fails. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Throttler storage shared by every server on one Redis (@nest-lab/throttler-storage-redis, which
 * counts each window in one Lua script, so concurrent servers never count past a limit). While
 * Redis fails, the counts fall back to this process's memory, so requests keep being served and
 * each server limits on its own until Redis is back. A limit is not enforced across servers then.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly shared: ThrottlerStorageRedisService;
  private readonly local = new FixedWindowThrottlerStorage();
  private lastErrorLoggedAt = 0;
  private failuresSinceLog = 0;

  constructor(redis: Redis) {
    this.shared = new ThrottlerStorageRedisService(redis);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      return await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (error) {
      this.reportFailure(error);
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
  }

  private reportFailure(error: unknown): void {
    this.failuresSinceLog++;
    const nowMs = Date.now();
    if (nowMs - this.lastErrorLoggedAt < ERROR_LOG_INTERVAL_MS) {
      return;
    }

    this.logger.error(
      `${this.failuresSinceLog} Redis throttler calls failed since the last report, so this ` +
        `process counts alone until Redis is back. Last error: ${error instanceof Error ? error.message : String(error)}`,
    );
    this.lastErrorLoggedAt = nowMs;
    this.failuresSinceLog = 0;
  }
}
