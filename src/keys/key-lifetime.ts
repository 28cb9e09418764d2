import { HttpStatus } from '@nestjs/common';
import ms from 'ms';

import { ApiException } from '../common/api-exception.js';

function invalid(field: string, message: string): ApiException {
  return new ApiException(HttpStatus.BAD_REQUEST, message, { field: field.replace(/^--/, '') });
}

const DURATION = /^\d+(\.\d+)?\s*[a-z]+$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Parses a duration with a unit, such as `90s`, `15m`, `12h`, `30d` or `2w`, into milliseconds.
 * Returns null when `text` is not such a duration.
 */
export function parseDuration(text: string): number | null {
  if (!DURATION.test(text.trim())) {
    return null;
  }

  const value = ms(text.trim() as ms.StringValue) as number | undefined;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}

/**
 * Turns `--expires` into a Unix time in milliseconds. It accepts a duration from now (`30d`) or an
 * ISO 8601 date or date-time (`2027-01-31`, `2027-01-31T12:00:00Z`); a date alone means 00:00 UTC.
 * Throws a 400 ApiException naming the field for anything else, or for a time not in the future.
 */
export function parseExpiry(text: string, nowMs: number, field = 'expires'): number {
  const duration = parseDuration(text);
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

  return expiresAt;
}

/** Turns `--grace` into milliseconds, throwing a 400 ApiException for anything but a duration. */
export function parseGrace(text: string, field = 'grace'): number {
  const duration = parseDuration(text);
  if (duration === null) {
    throw invalid(field, `${field} must be a duration such as 10m, 1h or 7d, got "${text}"`);
  }

  return duration;
}
