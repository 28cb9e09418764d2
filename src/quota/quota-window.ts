import { QuotaPeriod } from '../config/environment.js';
import type { LimitUsage } from '../common/rate-limit.js';

const PERIOD_MS: Record<QuotaPeriod, number> = { hour: 3_600_000, day: 86_400_000 };

/**
 * Start of the UTC-aligned window that contains `nowMs`, in Unix milliseconds. Unix time has no
 * leap seconds, so every hour starts at :00 UTC and every day at 00:00 UTC.
 */
export function windowStart(period: QuotaPeriod, nowMs: number): number {
  return Math.floor(nowMs / PERIOD_MS[period]) * PERIOD_MS[period];
}

export function windowEnd(period: QuotaPeriod, nowMs: number): number {
  return windowStart(period, nowMs) + PERIOD_MS[period];
}

/** Whole seconds from `nowMs` until the window ends, at least 1. */
export function secondsUntilWindowEnd(period: QuotaPeriod, nowMs: number): number {
  return Math.max(1, Math.ceil((windowEnd(period, nowMs) - nowMs) / 1000));
}

/** The quota state of one window as stored on a key row. */
export interface StoredWindow {
  period: QuotaPeriod;
  limit: number | null;
  used: number;
  windowStart: number;
}

/** Requests used in the window that contains `nowMs`; a stored count from an ended window is 0. */
export function usedInCurrentWindow(window: StoredWindow, nowMs: number): number {
  return window.windowStart >= windowStart(window.period, nowMs) ? window.used : 0;
}

export function periodSeconds(period: QuotaPeriod): number {
  return PERIOD_MS[period] / 1000;
}

/** Returns the usage of a window at `nowMs`, in the form the headers report. */
export function usageOf(window: StoredWindow, nowMs: number): LimitUsage {
  const limit = window.limit ?? Infinity;

  return {
    window: window.period,
    limit,
    remaining: Math.max(0, limit - usedInCurrentWindow(window, nowMs)),
    windowSeconds: periodSeconds(window.period),
    resetSeconds: secondsUntilWindowEnd(window.period, nowMs),
    resetAtMs: windowEnd(window.period, nowMs),
  };
}
