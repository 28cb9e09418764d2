import { HttpStatus } from '@nestjs/common';

import { ApiException } from './api-exception.js';

/**
 * The state of one limit for one client: a quota window (`hour`, `day`), the per-key `burst`
 * window, or the per-address `auth-failures` window. The name is the policy name in the
 * RateLimit-Policy header and the `window` field of a 429 body.
 */
export interface LimitUsage {
  window: string;
  limit: number;
  remaining: number;
  windowSeconds: number;
  /** Whole seconds until the window ends and its count starts over, at least 1. */
  resetSeconds: number;
  /** When the window ends, in Unix milliseconds. */
  resetAtMs: number;
}

export type LimitReason = 'quota' | 'burst' | 'auth-failures';

/**
 * Builds the headers that tell a client its limits:
 * - `RateLimit-Policy` lists every limit as `"name";q=<quota>;w=<window seconds>` (IETF draft
 *   draft-ietf-httpapi-ratelimit-headers, version 8 and later).
 * - `RateLimit` gives the tightest quota window as `"name";r=<remaining>;t=<seconds to reset>`.
 *   The burst window is the tightest only when the key has no quota. On a 429, it gives the
 *   exceeded window instead.
 * - `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` repeat the tightest
 *   window; the reset is a Unix time in seconds, as GitHub sends it.
 */
export function rateLimitHeaders(
  quotas: LimitUsage[],
  burst: LimitUsage | undefined,
  exceeded?: LimitUsage,
): Record<string, string> {
  const policies = burst ? [...quotas, burst] : quotas;
  const tightest = exceeded ?? tightestOf(quotas) ?? burst;
  if (!tightest) {
    return {};
  }

  return {
    'RateLimit-Policy': policies
      .map((usage) => `"${usage.window}";q=${usage.limit};w=${usage.windowSeconds}`)
      .join(', '),
    RateLimit: `"${tightest.window}";r=${tightest.remaining};t=${tightest.resetSeconds}`,
    'X-RateLimit-Limit': String(tightest.limit),
    'X-RateLimit-Remaining': String(tightest.remaining),
    'X-RateLimit-Reset': String(Math.ceil(tightest.resetAtMs / 1000)),
  };
}

/** Returns the window with the fewest requests left, and of equals the one that ends last. */
export function tightestOf(usages: LimitUsage[]): LimitUsage | undefined {
  return usages.reduce<LimitUsage | undefined>(
    (tightest, usage) =>
      !tightest ||
      usage.remaining < tightest.remaining ||
      (usage.remaining === tightest.remaining && usage.resetSeconds > tightest.resetSeconds)
        ? usage
        : tightest,
    undefined,
  );
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

const MESSAGES: Record<LimitReason, (usage: LimitUsage) => string> = {
  quota: (usage) =>
    usage.limit === 0
      ? `Request limit exceeded: the ${usage.window === 'hour' ? 'hourly' : 'daily'} quota of this ` +
        'key is 0 requests, so no metered request is allowed. Ask an operator to raise it.'
      : `Request limit exceeded: the ${usage.window === 'hour' ? 'hourly' : 'daily'} quota of ` +
        `${plural(usage.limit, 'request')} is used up. Retry in ${plural(usage.resetSeconds, 'second')}, when the window resets.`,
  burst: (usage) =>
    `Too many requests in a short time: the burst limit is ${plural(usage.limit, 'request')} per ` +
    `${usage.windowSeconds} s for each key. Retry in ${plural(usage.resetSeconds, 'second')}.`,
  'auth-failures': (usage) =>
    `Too many failed authentication attempts from this address: the limit is ${usage.limit} per ` +
    `${usage.windowSeconds} s. Retry in ${plural(usage.resetSeconds, 'second')}.`,
};

/**
 * 429 for any limit. The body names which kind of limit was hit (`reason`) and which window
 * (`window`, `limit`, `windowSeconds`), and `retryAfter` repeats the Retry-After header: whole
 * seconds until that window ends.
 */
export class TooManyRequestsException extends ApiException {
  constructor(reason: LimitReason, exceeded: LimitUsage, headers: Record<string, string> = {}) {
    super(HttpStatus.TOO_MANY_REQUESTS, MESSAGES[reason](exceeded), {
      headers: { ...headers, 'Retry-After': String(exceeded.resetSeconds) },
      body: {
        reason,
        window: exceeded.window,
        limit: exceeded.limit,
        windowSeconds: exceeded.windowSeconds,
        retryAfter: exceeded.resetSeconds,
      },
    });
  }
}
