import {
  BadRequestException,
  ConflictException,
  HttpStatus,
  Injectable,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { Repository } from 'typeorm';

import { ApiException } from '../common/api-exception.js';
import { Clock } from '../common/clock.js';
import { SqlRunner } from '../database/sql-runner.js';
import { Environment, MAX_QUOTA_LIMIT, QUOTA_PERIODS, QuotaPeriod } from '../config/environment.js';
import { StoredWindow, usedInCurrentWindow, windowEnd } from '../quota/quota-window.js';
import { API_KEY_COLUMNS, storedWindows, toApiKey, toRowValues } from './api-key-row.js';
import { generateApiKey, isKeyId, parseApiKey, publicPrefix } from './api-key-format.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeySummaryDto, CreatedApiKeyDto, KeyStatus } from './api-key.dto.js';
import { isBcryptHash, KeyHasher } from './key-hasher.js';
import { VerificationCache } from './verification-cache.js';
import { KeyChanges } from './key-changes.js';

/**
 * Metered requests a key may make per UTC window. Null is unlimited in that window. Undefined
 * means the configured default when creating a key and no change when updating one.
 */
export interface QuotaLimits {
  hourlyLimit?: number | null;
  dailyLimit?: number | null;
}

export interface CreateKeyOptions extends QuotaLimits {
  name: string;
  /**
   * Short form for a single window: `limit` requests per `period` (default `day`), and no limit in
   * the other window. It cannot be combined with `hourlyLimit` or `dailyLimit`.
   */
  limit?: number;
  period?: QuotaPeriod;
  /** Unix time in milliseconds after which the key stops working; null or absent: never. */
  expiresAt?: number | null;
}

/** The identity of a request's verified key, handed to handlers by `@CurrentKey()`. */
export interface VerifiedKey {
  id: string;
  name: string;
  expiresAt: number | null;
  /** The key's quota windows as read during verification, for an early quota check. */
  quotaWindows: StoredWindow[];
}

export const MAX_KEY_NAME_LENGTH = 100;
export const DEFAULT_KEY_NAME = 'default';

/** Key of the PostgreSQL advisory lock under which a server mints the default key. */
const DEFAULT_KEY_LOCK = 0x7072_6b79; // "prky"

/** Last-use times are written at most this often per key and process. */
const LAST_USED_RESOLUTION_MS = 60_000;

const INVALID_KEY_MESSAGE =
  'Invalid API key. Check that the whole key was sent, as it was printed at creation.';
const REVOKED_KEY_MESSAGE = 'API key has been revoked. Ask an operator for a new key.';

const FIND_ROW_SQL = `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = :id`;

@Injectable()
export class KeysService {
  private readonly logger = new Logger(KeysService.name);
  /** When this process last wrote each key's last_used_at, in Unix milliseconds. */
  private readonly lastUsedWrites = new Map<string, number>();
  /** Key rows read in the last KEY_ROW_CACHE_MS, so a busy key costs no query per request. */
  private readonly recentRows: LRUCache<string, ApiKey> | null;
  /**
   * Count of key changes this process has heard of. A row read that a change overtook is not
   * cached, because it may be older than the change.
   */
  private keyChangesHeard = 0;
  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly hasher: KeyHasher,
    private readonly verificationCache: VerificationCache,
    private readonly clock: Clock,
    private readonly environment: Environment,
    private readonly sql: SqlRunner,
    private readonly keyChanges: KeyChanges,
  ) {
    const recentRows =
      environment.KEY_ROW_CACHE_MS > 0
        ? new LRUCache<string, ApiKey>({
            max: environment.KEY_CACHE_MAX_ENTRIES,
            ttl: environment.KEY_ROW_CACHE_MS,
          })
        : null;
    this.recentRows = recentRows;
    keyChanges.onChange((keyId) => {
      this.keyChangesHeard++;
      recentRows?.delete(keyId);
    });
  }

  /** Mints a key, stores only its bcrypt hash, and returns the key; it cannot be shown again. */
  async create(options: CreateKeyOptions): Promise<CreatedApiKeyDto> {
    const name = validateKeyName(options.name);
    const limits = this.limitsForNewKey(options);

    const minted = await this.mint({ name, expiresAt: options.expiresAt ?? null, ...limits });
    await this.keys.insert(minted.entity);

    return { ...toSummary(minted.entity, this.clock.now().getTime()), key: minted.key };
  }

  /**
   * Mints the `default` key when the database contains no key at all; otherwise returns null.
   * Servers that start together on an empty database may each mint one, but only one insert
   * takes effect: on SQLite one INSERT ... WHERE NOT EXISTS decides, and on PostgreSQL, where
   * READ COMMITTED would let two such inserts pass, the check and the insert run under a lock.
   */
  async createDefaultKeyIfNone(): Promise<CreatedApiKeyDto | null> {
    if ((await this.keys.count()) > 0) {
      return null;
    }

    const limits = this.limitsForNewKey({ name: DEFAULT_KEY_NAME });
    const { key, entity } = await this.mint({ name: DEFAULT_KEY_NAME, expiresAt: null, ...limits });
    const inserted = await this.keys.manager.transaction(async (manager) => {
      if (manager.connection.options.type === 'postgres') {
        await manager.query('SELECT pg_advisory_xact_lock($1)', [DEFAULT_KEY_LOCK]);
        if ((await manager.count(ApiKey)) > 0) {
          return false;
        }

        await manager.insert(ApiKey, entity);
        return true;
      }

      const values = toRowValues(entity);
      await manager.query(
        `INSERT INTO api_keys (${API_KEY_COLUMNS}) SELECT ${values.map(() => '?').join(', ')} ` +
          'WHERE NOT EXISTS (SELECT 1 FROM api_keys)',
        values,
      );
      return (await manager.countBy(ApiKey, { id: entity.id })) > 0;
    });

    return inserted ? { ...toSummary(entity, this.clock.now().getTime()), key } : null;
  }

  /**
   * Mints a new key with the name, quota, usage and expiry of key `id`, and returns it once.
   * Without `graceMs` the old key is revoked at once. Otherwise it expires when the grace period
   * ends, or at its own expiry if that comes first.
   */
  async rotate(id: string, graceMs = 0): Promise<CreatedApiKeyDto> {
    const old = await this.findOrThrow(id);
    const nowMs = this.clock.now().getTime();
    if (statusOf(old, nowMs) !== 'active') {
      throw new ConflictException(
        `Key ${id} is ${statusOf(old, nowMs)}, so it cannot be rotated. Create a new key.`,
      );
    }

    if (old.replacedBy !== null) {
      throw new ConflictException(
        `Key ${id} was already rotated into ${old.replacedBy}. Rotate that key instead.`,
      );
    }

    const minted = await this.mint({
      name: old.name,
      expiresAt: old.expiresAt,
      hourlyLimit: old.hourlyLimit,
      dailyLimit: old.dailyLimit,
    });
    Object.assign(minted.entity, {
      hourlyUsed: old.hourlyUsed,
      hourlyWindowStart: old.hourlyWindowStart,
      dailyUsed: old.dailyUsed,
      dailyWindowStart: old.dailyWindowStart,
    });

    const retiredAt = nowMs + graceMs;
    const retirement =
      graceMs > 0
        ? { expiresAt: old.expiresAt === null ? retiredAt : Math.min(old.expiresAt, retiredAt) }
        : { revokedAt: nowMs };
    await this.keys.manager.transaction(async (manager) => {
      await manager.insert(ApiKey, minted.entity);
      await manager.update(ApiKey, { id }, { ...retirement, replacedBy: minted.entity.id });
    });
    await this.keyChanges.announce(id);

    return { ...toSummary(minted.entity, nowMs), key: minted.key };
  }

  /**
   * Changes the hourly and daily limits of key `id`. An undefined limit stays as it is, and null
   * removes the limit. Usage counts are kept, so requests already made in the current window count
   * against the new limit. A revoked or expired key cannot work again, so changing it is a 409.
   */
  async setLimits(id: string, limits: QuotaLimits): Promise<ApiKeySummaryDto> {
    const changes: Partial<Pick<ApiKey, 'hourlyLimit' | 'dailyLimit'>> = {};
    if (limits.hourlyLimit !== undefined) {
      changes.hourlyLimit = validateLimit('hourlyLimit', limits.hourlyLimit);
    }

    if (limits.dailyLimit !== undefined) {
      changes.dailyLimit = validateLimit('dailyLimit', limits.dailyLimit);
    }

    if (Object.keys(changes).length === 0) {
      throw new ApiException(
        HttpStatus.BAD_REQUEST,
        'Missing hourlyLimit and dailyLimit. Send one or both, each an integer of 0 or more or null for unlimited.',
        { field: 'body' },
      );
    }

    const key = await this.findOrThrow(id);
    const status = statusOf(key, this.clock.now().getTime());
    if (status !== 'active') {
      throw new ConflictException(
        `Key ${id} is ${status}, so its limits cannot be changed. Create a new key.`,
      );
    }

    await this.keys.update({ id }, changes);
    await this.keyChanges.announce(id);

    return this.show(id);
  }

  async list(): Promise<ApiKeySummaryDto[]> {
    const nowMs = this.clock.now().getTime();
    const rows = await this.keys.find({ order: { createdAt: 'ASC', id: 'ASC' } });

    return rows.map((row) => toSummary(row, nowMs));
  }

  async show(id: string): Promise<ApiKeySummaryDto> {
    return toSummary(await this.findOrThrow(id), this.clock.now().getTime());
  }

  /** Revokes a key. Revoking a revoked key changes nothing and keeps the first revocation time. */
  async revoke(id: string): Promise<ApiKeySummaryDto> {
    await this.findOrThrow(id);
    await this.keys
      .createQueryBuilder()
      .update(ApiKey)
      .set({ revokedAt: this.clock.now().getTime() })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();
    await this.keyChanges.announce(id);

    return this.show(id);
  }

  /**
   * Checks a presented key: one primary-key lookup by the key id, then one asynchronous bcrypt
   * compare, which the verification cache skips for a key that matched the same hash before.
   * Throws UnauthorizedException with the same message for a malformed key, an unknown id and a
   * wrong secret, so the response does not tell whether an id exists. Only a caller who has the
   * whole key learns that it was revoked or has expired.
   */
  async verify(presented: string): Promise<VerifiedKey> {
    const parts = parseApiKey(presented);
    if (!parts) {
      throw new UnauthorizedException(INVALID_KEY_MESSAGE);
    }

    const row = await this.findRow(parts.id);
    if (!row) {
      throw new UnauthorizedException(INVALID_KEY_MESSAGE);
    }

    if (!isBcryptHash(row.keyHash)) {
      this.logger.error(
        `The stored hash of key ${row.id} is not a well-formed bcrypt hash, so the key cannot be verified`,
      );
      throw new UnauthorizedException(INVALID_KEY_MESSAGE);
    }

    if (!(await this.verificationCache.compare(presented, row.keyHash))) {
      throw new UnauthorizedException(INVALID_KEY_MESSAGE);
    }

    const nowMs = this.clock.now().getTime();
    if (row.revokedAt !== null) {
      throw new UnauthorizedException(REVOKED_KEY_MESSAGE);
    }

    if (row.expiresAt !== null && row.expiresAt <= nowMs) {
      throw new UnauthorizedException(
        `API key expired at ${new Date(row.expiresAt).toISOString()}. Ask an operator for a new key.`,
      );
    }

    this.recordUse(row.id, nowMs);
    return {
      id: row.id,
      name: row.name,
      expiresAt: row.expiresAt,
      quotaWindows: storedWindows(row),
    };
  }

  /**
   * Writes last_used_at at most once a minute per key in this process, without waiting for the
   * write, so recording use costs no write per request. A failed write is logged and dropped.
   */
  private recordUse(id: string, nowMs: number): void {
    const lastWrite = this.lastUsedWrites.get(id);
    if (lastWrite !== undefined && nowMs - lastWrite < LAST_USED_RESOLUTION_MS) {
      return;
    }

    this.lastUsedWrites.set(id, nowMs);
    this.keys.update({ id }, { lastUsedAt: nowMs }).catch((error: unknown) => {
      this.logger.error(`Failed to record the last use of key ${id}: ${String(error)}`);
    });
  }

  private async mint(
    fields: Pick<ApiKey, 'name' | 'expiresAt' | 'hourlyLimit' | 'dailyLimit'>,
  ): Promise<{ key: string; entity: ApiKey }> {
    const now = this.clock.now();
    const { key, id } = generateApiKey(now);
    const entity = this.keys.create({
      ...fields,
      id,
      keyHash: await this.hasher.hash(key),
      createdAt: now.getTime(),
      revokedAt: null,
      lastUsedAt: null,
      replacedBy: null,
      hourlyUsed: 0,
      hourlyWindowStart: 0,
      dailyUsed: 0,
      dailyWindowStart: 0,
    });

    return { key, entity };
  }

  /**
   * Reads one key by id with raw SQL, which costs a fraction of TypeORM's query builder, or takes
   * it from the rows read in the last KEY_ROW_CACHE_MS. Revoking, rotating or changing the limits
   * of a key in this process drops its cached row at once. Another process picks up the change
   * within KEY_ROW_CACHE_MS.
   */
  private async findRow(id: string): Promise<ApiKey | undefined> {
    const cached = this.recentRows?.get(id);
    if (cached) {
      return cached;
    }

    const changesBefore = this.keyChangesHeard;
    const [row] = await this.sql.rows(FIND_ROW_SQL, { id });
    if (!row) {
      return undefined;
    }

    const key = toApiKey(row);
    if (this.keyChangesHeard === changesBefore) {
      this.recentRows?.set(id, key);
    }

    return key;
  }

  /**
   * Resolves the limits of a new key from either the short form (`limit` per `period`) or the
   * window limits, falling back to QUOTA_HOURLY_LIMIT and QUOTA_DAILY_LIMIT for an undefined one.
   */
  private limitsForNewKey(
    options: CreateKeyOptions,
  ): Required<Pick<ApiKey, 'hourlyLimit' | 'dailyLimit'>> {
    const { limit, period, hourlyLimit, dailyLimit } = options;
    const shortForm = limit !== undefined || period !== undefined;
    if (shortForm && (hourlyLimit !== undefined || dailyLimit !== undefined)) {
      throw new ApiException(
        HttpStatus.BAD_REQUEST,
        'limit and period cannot be combined with hourlyLimit or dailyLimit. Send either limit ' +
          '(with period hour or day) for one window, or hourlyLimit and dailyLimit.',
        { field: limit !== undefined ? 'limit' : 'period' },
      );
    }

    if (!shortForm) {
      // Only undefined takes the default, because null is an explicit request for no limit.
      return {
        hourlyLimit: validateLimit(
          'hourlyLimit',
          hourlyLimit === undefined ? this.environment.QUOTA_HOURLY_LIMIT : hourlyLimit,
        ),
        dailyLimit: validateLimit(
          'dailyLimit',
          dailyLimit === undefined ? this.environment.QUOTA_DAILY_LIMIT : dailyLimit,
        ),
      };
    }

    if (limit === undefined) {
      throw new ApiException(
        HttpStatus.BAD_REQUEST,
        `period without limit is invalid. Send both, such as {"limit": 100, "period": "${period}"}`,
        { field: 'limit' },
      );
    }

    const window = period ?? 'day';
    validateQuota(limit, window);

    return {
      hourlyLimit: window === 'hour' ? limit : null,
      dailyLimit: window === 'day' ? limit : null,
    };
  }

  private async findOrThrow(id: string): Promise<ApiKey> {
    // An id of the wrong shape cannot exist, and PostgreSQL rejects some characters (NUL) outright.
    const row = isKeyId(id) ? await this.keys.findOneBy({ id }) : null;
    if (!row) {
      throw new NotFoundException(`No API key has the id "${id}". List the keys to see their ids.`);
    }

    return row;
  }
}

function validateKeyName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_KEY_NAME_LENGTH || /\p{Cc}/u.test(trimmed)) {
    throw new BadRequestException(
      `name must be 1 to ${MAX_KEY_NAME_LENGTH} characters without control characters, got "${name.slice(0, 120)}"`,
    );
  }

  return trimmed;
}

/** Returns `limit` when it is null or an integer from 0 to MAX_QUOTA_LIMIT, and throws a 400 otherwise. */
function validateLimit(field: string, limit: number | null): number | null {
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 0 || limit > MAX_QUOTA_LIMIT)) {
    throw new ApiException(
      HttpStatus.BAD_REQUEST,
      `${field} must be an integer from 0 to ${MAX_QUOTA_LIMIT}, or null for unlimited, got ${limit}`,
      { field },
    );
  }

  return limit;
}

function validateQuota(limit: number, period: string): void {
  if (!Number.isSafeInteger(limit) || limit < 0 || limit > MAX_QUOTA_LIMIT) {
    throw new BadRequestException(
      `limit must be an integer from 0 to ${MAX_QUOTA_LIMIT}, got ${limit}`,
    );
  }

  if (!(QUOTA_PERIODS as readonly string[]).includes(period)) {
    throw new BadRequestException(
      `period must be one of: ${QUOTA_PERIODS.join(', ')}, got "${period}"`,
    );
  }
}

function statusOf(key: ApiKey, nowMs: number): KeyStatus {
  if (key.revokedAt !== null) {
    return 'revoked';
  }

  return key.expiresAt !== null && key.expiresAt <= nowMs ? 'expired' : 'active';
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function toSummary(key: ApiKey, nowMs: number): ApiKeySummaryDto {
  return {
    id: key.id,
    name: key.name,
    prefix: publicPrefix(Math.floor(key.createdAt / 1000), key.id),
    status: statusOf(key, nowMs),
    createdAt: new Date(key.createdAt).toISOString(),
    expiresAt: isoOrNull(key.expiresAt),
    revokedAt: isoOrNull(key.revokedAt),
    lastUsedAt: isoOrNull(key.lastUsedAt),
    replacedBy: key.replacedBy,
    quotas: storedWindows(key).map((window) => {
      const used = usedInCurrentWindow(window, nowMs);
      const limit = window.limit ?? 0;

      return {
        period: window.period,
        limit,
        used,
        remaining: Math.max(0, limit - used),
        resetsAt: new Date(windowEnd(window.period, nowMs)).toISOString(),
      };
    }),
  };
}
