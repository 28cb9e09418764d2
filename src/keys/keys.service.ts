import {
  BadRequestException,
  Injectable,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import { Clock } from '../common/clock.js';
import { Environment, QUOTA_PERIODS, QuotaPeriod } from '../config/environment.js';
import { StoredWindow, usedInCurrentWindow, windowEnd } from '../quota/quota-window.js';
import { API_KEY_COLUMNS, storedWindows, toApiKey } from './api-key-row.js';
import { generateApiKey, parseApiKey } from './api-key-format.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeySummaryDto, CreatedApiKeyDto } from './api-key.dto.js';
import { isBcryptHash, KeyHasher } from './key-hasher.js';
import { VerificationCache } from './verification-cache.js';

export interface CreateKeyOptions {
  name: string;
  limit?: number;
  period?: QuotaPeriod;
}

/** The identity of a request's verified key, handed to handlers by `@CurrentKey()`. */
export interface VerifiedKey {
  id: string;
  name: string;
  /** The key's quota windows as read during verification, for an early quota check. */
  quotaWindows: StoredWindow[];
}

export const MAX_KEY_NAME_LENGTH = 100;
export const DEFAULT_KEY_NAME = 'default';

@Injectable()
export class KeysService {
  private readonly logger = new Logger(KeysService.name);

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly hasher: KeyHasher,
    private readonly verificationCache: VerificationCache,
    private readonly clock: Clock,
    private readonly environment: Environment,
  ) {}

  /** Mints a key, stores only its bcrypt hash, and returns the key; it cannot be shown again. */
  async create(options: CreateKeyOptions): Promise<CreatedApiKeyDto> {
    const name = validateKeyName(options.name);
    const period = options.period ?? this.environment.QUOTA_PERIOD;
    const limit = options.limit ?? this.environment.QUOTA_LIMIT;
    validateQuota(limit, period);

    const now = this.clock.now();
    const { key, id } = generateApiKey(now);
    const entity = this.keys.create({
      id,
      name,
      keyHash: await this.hasher.hash(key),
      createdAt: now.getTime(),
      revokedAt: null,
      hourlyLimit: period === 'hour' ? limit : null,
      dailyLimit: period === 'day' ? limit : null,
      hourlyUsed: 0,
      hourlyWindowStart: 0,
      dailyUsed: 0,
      dailyWindowStart: 0,
    });
    await this.keys.insert(entity);

    return { ...toSummary(entity, now.getTime()), key };
  }

  /** Mints the `default` key when the database contains no key at all; otherwise returns null. */
  async createDefaultKeyIfNone(): Promise<CreatedApiKeyDto | null> {
    if ((await this.keys.count()) > 0) {
      return null;
    }

    return this.create({ name: DEFAULT_KEY_NAME });
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
    const now = this.clock.now().getTime();
    await this.findOrThrow(id);
    await this.keys
      .createQueryBuilder()
      .update(ApiKey)
      .set({ revokedAt: now })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();

    return this.show(id);
  }

  /**
   * Checks a presented key: one primary-key lookup by the key id, then one asynchronous bcrypt
   * compare, which the verification cache skips for a key that matched the same hash before. Throws UnauthorizedException with the same message for a malformed key, an unknown
   * id and a wrong secret, so the response does not tell whether an id exists. Only a key whose
   * secret matches learns that it was revoked.
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

    if (row.revokedAt !== null) {
      throw new UnauthorizedException('API key has been revoked. Ask an operator for a new key.');
    }

    return { id: row.id, name: row.name, quotaWindows: storedWindows(row) };
  }

  /**
   * Reads one key by id with raw SQL. This runs on every request, and TypeORM's query builder
   * costs several times more than the SQLite lookup itself.
   */
  private async findRow(id: string): Promise<ApiKey | undefined> {
    const [sql, parameters] = this.keys.manager.connection.driver.escapeQueryWithParameters(
      `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = :id`,
      { id },
    );
    const [row] = await this.keys.query<Record<string, unknown>[]>(sql, parameters);

    return row ? toApiKey(row) : undefined;
  }

  private async findOrThrow(id: string): Promise<ApiKey> {
    const row = await this.keys.findOneBy({ id });
    if (!row) {
      throw new NotFoundException(`No API key has the id "${id}". Run "keys list" to see the ids.`);
    }

    return row;
  }
}

const INVALID_KEY_MESSAGE =
  'Invalid API key. Check that the whole key was sent, as it was printed at creation.';

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

function toSummary(row: ApiKey, nowMs: number): ApiKeySummaryDto {
  return {
    id: row.id,
    name: row.name,
    createdAt: new Date(row.createdAt).toISOString(),
    revokedAt: row.revokedAt === null ? null : new Date(row.revokedAt).toISOString(),
    quotas: storedWindows(row).map((window) => ({
      period: window.period,
      limit: window.limit ?? 0,
      used: usedInCurrentWindow(window, nowMs),
      resetsAt: new Date(windowEnd(window.period, nowMs)).toISOString(),
    })),
  };
}
