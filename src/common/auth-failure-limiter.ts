import { Injectable, Logger } from '@nestjs/common';
import { InjectThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorage } from '@nestjs/throttler';

import { Environment } from '../config/environment.js';
import { Clock } from './clock.js';
import { LimitUsage, rateLimitHeaders, TooManyRequestsException } from './rate-limit.js';

/** The throttler name under which failed authentications are counted. */
const AUTH_FAILURES = 'auth-failures';

/**
 * Counts failed authentications per client address in @nestjs/throttler's storage (the same one
 * that counts bursts), so guessing keys or the admin token costs an attacker time and the server
 * no bcrypt work. The address is request.ip, which comes from X-Forwarded-For only for the
 * proxies TRUST_PROXY names. Once an address reaches the limit it is remembered as blocked, and
 * the guards turn it away with 429 before they look at a credential.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly logger = new Logger(AuthFailureLimiter.name);
  private readonly blockedUntil = new Map<string, number>();
  private readonly windowMs: number;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly environment: Environment,
    private readonly clock: Clock,
  ) {
    this.windowMs = environment.AUTH_FAILURE_WINDOW_SECONDS * 1000;
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
      this.forgetEndedBlocks(nowMs);
      this.blockedUntil.set(ip, nowMs + seconds * 1000);
      this.logger.warn(`Blocking authentication from ${ip} for ${seconds} s after ${limit} failures`);
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
