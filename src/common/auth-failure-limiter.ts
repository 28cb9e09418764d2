import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { RateLimiterMemory } from 'rate-limiter-flexible';

import { Environment } from '../config/environment.js';
import { ApiException } from './api-exception.js';

/**
 * Counts failed authentications per client IP address in a fixed window, so guessing keys or the
 * admin token costs an attacker time and the server no bcrypt work. The guards ask it before
 * they check a credential, so a blocked address gets 429 without a lookup.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly logger = new Logger(AuthFailureLimiter.name);
  private readonly failures: RateLimiterMemory;

  constructor(private readonly environment: Environment) {
    this.failures = new RateLimiterMemory({
      points: environment.AUTH_FAILURE_LIMIT,
      duration: environment.AUTH_FAILURE_WINDOW_SECONDS,
    });
  }

  /** Throws 429 with Retry-After when `ip` has used up its failed attempts in this window. */
  async assertNotBlocked(ip: string): Promise<void> {
    const state = await this.failures.get(ip);
    if (state && state.consumedPoints >= this.environment.AUTH_FAILURE_LIMIT) {
      const retryAfter = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      throw new ApiException(
        HttpStatus.TOO_MANY_REQUESTS,
        `Too many failed authentication attempts from this address. Retry in ${retryAfter} seconds.`,
        { headers: { 'Retry-After': String(retryAfter) } },
      );
    }
  }

  async recordFailure(ip: string): Promise<void> {
    const state = await this.failures.penalty(ip, 1);
    if (state.consumedPoints === this.environment.AUTH_FAILURE_LIMIT) {
      this.logger.warn(
        `Blocking authentication from ${ip} for up to ${this.environment.AUTH_FAILURE_WINDOW_SECONDS} s after repeated failures`,
      );
    }
  }
}
