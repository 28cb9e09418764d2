import {
  BadRequestException,
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { Repository } from 'typeorm';

import { Clock } from '../common/clock.js';
import { Environment, QUOTA_PERIODS, QuotaPeriod } from '../config/environment.js';
import { StoredWindow, usedInCurrentWindow, windowEnd } from '../quota/quota-window.js';
import { API_KEY_COLUMNS, storedWindows, toApiKey } from './api-key-row.js';
import { generateApiKey, parseApiKey, publicPrefix } from './api-key-format.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeySummaryDto, CreatedApiKeyDto, KeyStatus } from './api-key.dto.js';
import { isBcryptHash, KeyHasher } from './key-hasher.js';
import { VerificationCache } from './verification-cache.js';

export interface CreateKeyOptions {
  name: string;
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

/** Last-use times are written at most this often per key and process. */
const LAST_USED_RESOLUTION_MS = 60_000;

const INVALID_KEY_MESSAGE =
  'Invalid API key. Check that the whole key was sent, as it was printed at creation.';
const REVOKED_KEY_MESSAGE = 'API key has been revoked. Ask an operator for a new key.';

@Injectable()
export class KeysService {
  private readonly logger = new Logger(KeysService.name);
  /** When this process last wrote each key's last_used_at, in Unix milliseconds. */
  private readonly lastUsedWrites = new Map<string, number>();
  /** Key rows read in the last KEY_ROW_CACHE_MS, so a busy key costs no query per request. */
  private readonly recentRows: LRUCache<string, ApiKey> | null;
  private readonly findRowSql: string;

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly hasher: KeyHasher,
    private readonly verificationCache: VerificationCache,
    private readonly clock: Clock,
    private readonly environment: Environment,
  ) {
    this.recentRows =
      environment.KEY_ROW_CACHE_MS > 0
        ? new LRUCache({
            max: environment.KEY_CACHE_MAX_ENTRIES,
            ttl: environment.KEY_ROW_CACHE_MS,
          })
        : null;
    [this.findRowSql] = keys.manager.connection.driver.escapeQueryWithParameters(
      `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = :id`,
      { id: '' },
    );
  }

  /** Mints a key, stores only its bcrypt hash, and returns the key; it cannot be shown again. */
  async create(options: CreateKeyOptions): Promise<CreatedApiKeyDto> {
    const name = validateKeyName(options.name);
    const period = options.period ?? this.environment.QUOTA_PERIOD;
    const limit = options.limit ?? this.environment.QUOTA_LIMIT;
    validateQuota(limit, period);

    const minted = await this.mint({
      name,
      expiresAt: options.expiresAt ?? null,
      hourlyLimit: period === 'hour' ? limit : null,
      dailyLimit: period === 'day' ? limit : null,
    });
    await this.keys.insert(minted.entity);

    return { ...toSummary(minted.entity, this.clock.now().getTime()), key: minted.key };
  }

  /** Mints the `default` key when the database contains no key at all; otherwise returns null. */
  async createDefaultKeyIfNone(): Promise<CreatedApiKeyDto | null> {
    if ((await this.keys.count()) > 0) {
      return null;
    }

    return this.create({ name: DEFAULT_KEY_NAME });
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
    this.recentRows?.delete(id);

    return { ...toSummary(minted.entity, nowMs), key: minted.key };
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
    this.recentRows?.delete(id);

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
   * it from the rows read in the last KEY_ROW_CACHE_MS. Revoking or rotating a key in this process
   * drops its cached row at once. Another process picks up the change within KEY_ROW_CACHE_MS.
   */
  private async findRow(id: string): Promise<ApiKey | undefined> {
    const cached = this.recentRows?.get(id);
    if (cached) {
      return cached;
    }

    const [row] = await this.keys.query<Record<string, unknown>[]>(this.findRowSql, [id]);
    if (!row) {
      return undefined;
    }

    const key = toApiKey(row);
    this.recentRows?.set(id, key);
    return key;
  }

  private async findOrThrow(id: string): Promise<ApiKey> {
    const row = await this.keys.findOneBy({ id });
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

function validateQuota(limit: number, period: string): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new BadRequestException(`limit must be an integer of 0 or more, got ${limit}`);
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
