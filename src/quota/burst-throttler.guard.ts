import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler';

import { requestKey } from '../common/api-key.guard.js';
import type { RequestWithKey } from '../common/api-key.guard.js';
import type { TimedThrottlerRecord } from '../common/fixed-window-storage.js';
import { LimitUsage, rateLimitHeaders, TooManyRequestsException } from '../common/rate-limit.js';
import { usageOf } from './quota-window.js';

const BURST_USAGE = Symbol('primetime:burst-usage');

/** The throttler entry that limits each key's bursts; ThrottlerModule is configured with it. */
export const BURST_THROTTLER = 'burst';

export interface RequestWithBurst {
  [BURST_USAGE]?: LimitUsage;
}

/** Returns the burst window of the request's key as the throttler counted this request, if it did. */
export function burstUsage(request: RequestWithBurst): LimitUsage | undefined {
  return request[BURST_USAGE];
}

/**
 * Limits bursts per API key with @nestjs/throttler. It runs after ApiKeyGuard, so the tracker is
 * the id of the verified key: never an address or a header the client chose, and one counter for
 * all routes of the key. Requests without a key (public routes) are not counted here; failed
 * authentications are limited per address by AuthFailureLimiter.
 */
@Injectable()
export class BurstThrottlerGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(!requestKey(context.switchToHttp().getRequest()));
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, blockDuration, throttler } = request;
    const http = context.switchToHttp().getRequest<RequestWithBurst & RequestWithKey>();
    const key = requestKey(http);
    if (!key) {
      return true;
    }

    const name = throttler.name ?? BURST_THROTTLER;
    const hits = await this.storageService.increment(
      `${name}:${key.id}`,
      ttl,
      limit,
      blockDuration,
      name,
    );
    const nowMs = Date.now();
    const seconds = hits.isBlocked ? hits.timeToBlockExpire : hits.timeToExpire;
    // Another storage may not report the exact end, so fall back to the rounded seconds.
    const resetAtMs =
      (hits as Partial<TimedThrottlerRecord>).windowEndsAtMs ?? nowMs + seconds * 1000;
    const usage: LimitUsage = {
      window: name,
      limit,
      remaining: Math.max(0, limit - hits.totalHits),
      windowSeconds: Math.max(1, Math.round(ttl / 1000)),
      resetSeconds: Math.max(1, Math.ceil((resetAtMs - nowMs) / 1000)),
      resetAtMs,
    };
    if (hits.isBlocked) {
      const exceeded = { ...usage, remaining: 0 };
      const quotas = key.quotaWindows.map((window) => usageOf(window, nowMs));
      throw new TooManyRequestsException(
        'burst',
        exceeded,
        rateLimitHeaders(quotas, exceeded, exceeded),
      );
    }

    http[BURST_USAGE] = usage;
    return true;
  }
}
