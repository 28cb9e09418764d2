import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';

import { Environment } from '../config/environment.js';
import { BURST_THROTTLER } from '../quota/burst-throttler.guard.js';
import { RedisClients } from '../redis/redis-clients.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { FixedWindowThrottlerStorage } from './fixed-window-storage.js';
import { RedisThrottlerStorage } from './redis-throttler-storage.js';

/**
 * Configures @nestjs/throttler for the server: the per-key burst window that BurstThrottlerGuard
 * applies, and the storage in which AuthFailureLimiter counts failed authentications per address.
 * TTLs are in milliseconds, as the throttler expects. With REDIS_URL the counts live in Redis and
 * every server shares them. Without it they live in this process, in a storage whose cost does
 * not grow with the limit. The throttler's own headers are off: the quota interceptor writes the
 * rate-limit headers of metered routes.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [Environment, RedisClients],
      useFactory: (environment: Environment, redis: RedisClients) => ({
        throttlers: [
          {
            name: BURST_THROTTLER,
            limit: environment.BURST_LIMIT,
            ttl: environment.BURST_WINDOW_MS,
            blockDuration: environment.BURST_WINDOW_MS,
          },
        ],
        setHeaders: false,
        storage: redis.commands
          ? new RedisThrottlerStorage(redis.commands)
          : new FixedWindowThrottlerStorage(),
      }),
    }),
  ],
  providers: [AuthFailureLimiter],
  exports: [AuthFailureLimiter],
})
export class ThrottlingModule {}
