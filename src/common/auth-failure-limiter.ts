import { Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { InjectThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorage } from '@nestjs/throttler';

import { Environment } from '../config/environment.js';
import { RedisClients } from '../redis/redis-clients.js';
import { Clock } from './clock.js';
import { LimitUsage, rateLimitHeaders, TooManyRequestsException } from './rate-limit.js';

/** The throttler name under which failed authentications are counted. */
const AUTH_FAILURES = 'auth-failures';

/** Redis channel on which a server announces an address it blocked, as {"ip", "until"} JSON. */
export const AUTH_BLOCKS_CHANNEL = 'primetime:auth-blocks';

/**
 * Counts failed authentications per client address in @nestjs/throttler's storage (the same one
 * that counts bursts), so guessing keys or the admin token costs an attacker time and the server
 * no bcrypt work. The address is request.ip, which comes from X-Forwarded-For only for the
 * proxies TRUST_PROXY names. Once an address reaches the limit it is remembered as blocked, and
 * the guards turn it away with 429 before they look at a credential. With REDIS_URL the count is
 * shared, and the server that blocks an address announces the block so that every server turns
 * the address away, not only the one that saw the failure over the limit.
 */
@Injectable()
export class AuthFailureLimiter implements OnModuleInit {
  private readonly logger = new Logger(AuthFailureLimiter.name);
  private readonly blockedUntil = new Map<string, number>();
  private readonly windowMs: number;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly environment: Environment,
    private readonly clock: Clock,
    private readonly redis: RedisClients,
  ) {
    this.windowMs = environment.AUTH_FAILURE_WINDOW_SECONDS * 1000;
  }

  onModuleInit(): void {
    this.redis.subscribe(AUTH_BLOCKS_CHANNEL, (message) => this.applyAnnouncedBlock(message));
  }

  /** Throws 429 with Retry-After while `ip` is blocked. */
  assertNotBlocked(ip: string): void {
    const until = this.blockedUntil.get(ip);
    if (until === undefined) {
      return;
    }

    const nowMs = this.clock.now().getTime();
    if (until <= nowMs) {
      this.blockedUntil.delete(ip);
      return;
    }

    const usage: LimitUsage = {
      window: AUTH_FAILURES,
      limit: this.environment.AUTH_FAILURE_LIMIT,
      remaining: 0,
      windowSeconds: this.environment.AUTH_FAILURE_WINDOW_SECONDS,
      resetSeconds: Math.max(1, Math.ceil((until - nowMs) / 1000)),
      resetAtMs: until,
    };
    throw new TooManyRequestsException('auth-failures', usage, rateLimitHeaders([], usage));
  }

  /** Counts one failure; the failure that reaches the limit blocks the address for the window. */
  async recordFailure(ip: string): Promise<void> {
    const limit = this.environment.AUTH_FAILURE_LIMIT;
    // The Redis storage needs a block duration above 0; a failure past the limit (counted by
    // another server) blocks the address for one more window.
    const hits = await this.storage.increment(
      `${AUTH_FAILURES}:${ip}`,
      this.windowMs,
      limit,
      this.windowMs,
      AUTH_FAILURES,
    );
    if (hits.totalHits >= limit) {
      const seconds = Math.max(1, hits.timeToExpire, hits.isBlocked ? hits.timeToBlockExpire : 0);
      const nowMs = this.clock.now().getTime();
      const until = nowMs + seconds * 1000;
      this.block(ip, until, nowMs);
      this.logger.warn(
        `Blocking authentication from ${ip} for ${seconds} s after ${limit} failures`,
      );
      this.redis
        .publish(AUTH_BLOCKS_CHANNEL, JSON.stringify({ ip, until }))
        .catch((error: unknown) => {
          this.logger.error(
            `Failed to announce the block of ${ip} on Redis: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
    }
  }

  private block(ip: string, until: number, nowMs: number): void {
    this.forgetEndedBlocks(nowMs);
    this.blockedUntil.set(ip, Math.max(until, this.blockedUntil.get(ip) ?? 0));
  }

  /** Applies a block that a server announced, ignoring a message of another shape. */
  private applyAnnouncedBlock(message: string): void {
    let announced: unknown;
    try {
      announced = JSON.parse(message);
    } catch {
      announced = null;
    }

    const { ip, until } = (announced ?? {}) as { ip?: unknown; until?: unknown };
    if (typeof ip !== 'string' || typeof until !== 'number' || !Number.isFinite(until)) {
      this.logger.warn(`Ignored a malformed message on ${AUTH_BLOCKS_CHANNEL}`);
      return;
    }

    const nowMs = this.clock.now().getTime();
    if (until > nowMs) {
      this.block(ip, until, nowMs);
    }
  }

  /** Keeps the map of blocked addresses from growing during an attack from many addresses. */
  private forgetEndedBlocks(nowMs: number): void {
    if (this.blockedUntil.size < 1000) {
      return;
    }

    for (const [ip, until] of this.blockedUntil) {
      if (until <= nowMs) {
        this.blockedUntil.delete(ip);
      }
    }
  }
}
