import { HttpStatus } from '@nestjs/common';
import ms from 'ms';

import { ApiException } from '../common/api-exception.js';

function invalid(field: string, message: string): ApiException {
  return new ApiException(HttpStatus.BAD_REQUEST, message, { field: field.replace(/^--/, '') });
}

const DURATION = /^\d+(\.\d+)?\s*[a-z]+$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The latest expiry a key can have. It is the end of 9999, the last four-digit ISO 8601 year. */
export const LATEST_EXPIRY_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * The maximum duration, longer than any key can still live. It keeps the current time plus a
 * duration a valid Date that fits a BIGINT column.
 */
const MAX_DURATION = '8000y';
const MAX_DURATION_MS = ms(MAX_DURATION);

/**
 * Parses a duration with a unit, such as `90s`, `15m`, `12h`, `30d` or `2w`, into whole
 * milliseconds. Returns null when `text` is not such a duration or is longer than 8000 years.
 */
export function parseDuration(text: string): number | null {
  const duration = wholeMilliseconds(text);

  return duration !== null && duration <= MAX_DURATION_MS ? duration : null;
}

/**
 * Parses a duration and rounds it up to whole milliseconds, because the database stores times as
 * BIGINT milliseconds and PostgreSQL rejects a fraction there. Returns null for anything else.
 */
function wholeMilliseconds(text: string): number | null {
  if (!DURATION.test(text.trim())) {
    return null;
  }

  const value = ms(text.trim() as ms.StringValue) as number | undefined;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.ceil(value) : null;
}

/**
 * Turns `--expires` into a Unix time in milliseconds. It accepts a duration from now (`30d`) or an
 * ISO 8601 date or date-time (`2027-01-31`, `2027-01-31T12:00:00Z`); a date alone means 00:00 UTC.
 * Throws a 400 ApiException naming the field for anything else, for a time not in the future, and
 * for a time after LATEST_EXPIRY_MS.
 */
export function parseExpiry(text: string, nowMs: number, field = 'expires'): number {
  const duration = wholeMilliseconds(text);
  const expiresAt =
    duration !== null
      ? nowMs + duration
      : ISO_DATE.test(text.trim())
        ? Date.parse(text.trim())
        : NaN;
  if (!Number.isFinite(expiresAt)) {
    throw invalid(
      field,
      `${field} must be a duration such as 30d, 12h or 90m, or an ISO 8601 date such as 2027-01-31, got "${text}"`,
    );
  }

  if (expiresAt <= nowMs) {
    throw invalid(field, `${field} must be in the future, got "${text}"`);
  }

  if (expiresAt > LATEST_EXPIRY_MS) {
    throw invalid(
      field,
      `${field} must be no later than ${new Date(LATEST_EXPIRY_MS).toISOString()}, got "${text}"`,
    );
  }

  return expiresAt;
}

/**
 * Turns `--grace` into milliseconds, throwing a 400 ApiException for anything but a duration of
 * at most 8000 years.
 */
export function parseGrace(text: string, field = 'grace'): number {
  const duration = wholeMilliseconds(text);
  if (duration === null) {
    throw invalid(field, `${field} must be a duration such as 10m, 1h or 7d, got "${text}"`);
  }

  if (duration > MAX_DURATION_MS) {
    throw invalid(field, `${field} must be at most ${MAX_DURATION}, got "${text}"`);
  }

  return duration;
}
