import type { StoredWindow } from '../quota/quota-window.js';
import { ApiKey } from './api-key.entity.js';

/** Every column of api_keys, for raw SQL that bypasses the query builder on hot paths. */
export const API_KEY_COLUMNS =
  'id, name, key_hash, created_at, revoked_at, expires_at, last_used_at, replaced_by, hourly_limit, ' +
  'hourly_used, hourly_window_start, daily_limit, daily_used, daily_window_start';

/** The columns that hold a key's quota windows. */
export const QUOTA_COLUMNS =
  'hourly_limit, hourly_used, hourly_window_start, daily_limit, daily_used, daily_window_start';

/** A row of api_keys as raw SQL returns it: snake_case names, and BIGINT as a string on PostgreSQL. */
export type ApiKeyRow = Record<string, unknown>;

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** Maps a raw row to an ApiKey; columns the query did not select stay undefined. */
export function toApiKey(row: ApiKeyRow): ApiKey {
  return Object.assign(new ApiKey(), {
    id: row.id as string,
    name: row.name as string,
    keyHash: row.key_hash as string,
    createdAt: numberOrNull(row.created_at) as number,
    revokedAt: numberOrNull(row.revoked_at),
    expiresAt: numberOrNull(row.expires_at),
    lastUsedAt: numberOrNull(row.last_used_at),
    replacedBy: (row.replaced_by ?? null) as string | null,
    ...quotaFieldsOfRow(row),
  });
}

/** Returns the values of a key's columns in the order of API_KEY_COLUMNS. */
export function toRowValues(key: ApiKey): unknown[] {
  return [
    key.id,
    key.name,
    key.keyHash,
    key.createdAt,
    key.revokedAt,
    key.expiresAt,
    key.lastUsedAt,
    key.replacedBy,
    key.hourlyLimit,
    key.hourlyUsed,
    key.hourlyWindowStart,
    key.dailyLimit,
    key.dailyUsed,
    key.dailyWindowStart,
  ];
}

type QuotaFields = Pick<
  ApiKey,
  | 'hourlyLimit'
  | 'hourlyUsed'
  | 'hourlyWindowStart'
  | 'dailyLimit'
  | 'dailyUsed'
  | 'dailyWindowStart'
>;

/** Lists the quota windows stored on a key. A window without a limit does not apply. */
export function storedWindows(key: QuotaFields): StoredWindow[] {
  const windows: StoredWindow[] = [
    {
      period: 'hour',
      limit: key.hourlyLimit,
      used: key.hourlyUsed,
      windowStart: key.hourlyWindowStart,
    },
    {
      period: 'day',
      limit: key.dailyLimit,
      used: key.dailyUsed,
      windowStart: key.dailyWindowStart,
    },
  ];

  return windows.filter((window) => window.limit !== null);
}

/** Lists the quota windows of a raw row that has at least the QUOTA_COLUMNS, without an entity. */
export function windowsOfRow(row: ApiKeyRow): StoredWindow[] {
  return storedWindows(quotaFieldsOfRow(row));
}

function quotaFieldsOfRow(row: ApiKeyRow): QuotaFields {
  return {
    hourlyLimit: numberOrNull(row.hourly_limit),
    hourlyUsed: Number(row.hourly_used ?? 0),
    hourlyWindowStart: Number(row.hourly_window_start ?? 0),
    dailyLimit: numberOrNull(row.daily_limit),
    dailyUsed: Number(row.daily_used ?? 0),
    dailyWindowStart: Number(row.daily_window_start ?? 0),
  };
}
