import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseEnv } from 'node:util';

import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  MinLength,
  validateSync,
  ValidateBy,
  ValidateIf,
} from 'class-validator';

export const DEFAULT_DATABASE_PATH = './data/primetime.sqlite';

/**
 * Largest quota limit: the quota columns are 32-bit integers on PostgreSQL, and the same limit
 * holds on SQLite so that a key behaves the same on both engines.
 */
export const MAX_QUOTA_LIMIT = 2_147_483_647;

export const QUOTA_PERIODS = ['hour', 'day'] as const;
export type QuotaPeriod = (typeof QUOTA_PERIODS)[number];

export const PRIME_ENGINES = ['gmp', 'openssl'] as const;
export type PrimeEngine = (typeof PRIME_ENGINES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/**
 * Reads the variable as an integer and requires min <= value <= max, with one message that names
 * the variable and the accepted range.
 */
function IntegerInRange(min: number, max: number): PropertyDecorator {
  return (target, property) => {
    const accepted =
      max === Number.MAX_SAFE_INTEGER
        ? `an integer of ${min} or more`
        : `an integer from ${min} to ${max}`;
    const message = `${String(property)} must be ${accepted}`;
    Transform(toInteger)(target, property);
    IsInt({ message })(target, property);
    Min(min, { message })(target, property);
    Max(max, { message })(target, property);
  };
}

const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/**
 * Reads the variable as a quota limit: an integer of 0 or more, or the word `none` (any case),
 * which becomes null and means unlimited.
 */
function LimitOrNone(): PropertyDecorator {
  return (target, property) => {
    const message = `${String(property)} must be an integer from 0 to ${MAX_QUOTA_LIMIT}, or none for unlimited`;
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && value.trim().toLowerCase() === 'none'
        ? null
        : toInteger({ value }),
    )(target, property);
    ValidateIf((_environment, value) => value !== null)(target, property);
    IsInt({ message })(target, property);
    Min(0, { message })(target, property);
    Max(MAX_QUOTA_LIMIT, { message })(target, property);
  };
}

/**
 * Returns an error line for each of QUOTA_LIMIT and QUOTA_PERIOD that is set. QUOTA_HOURLY_LIMIT
 * and QUOTA_DAILY_LIMIT replaced them, and an old setting must stop the start, not be ignored.
 * When the old values are valid, one more line gives the new settings that keep the same quota.
 */
function describeRetiredQuotaVariables(raw: Record<string, unknown>): string[] {
  const retired = ['QUOTA_LIMIT', 'QUOTA_PERIOD'].filter(
    (name) => raw[name] !== undefined && raw[name] !== '',
  );
  if (retired.length === 0) {
    return [];
  }

  const lines = retired.map(
    (name) =>
      `  ${name} is no longer read. Set QUOTA_HOURLY_LIMIT and QUOTA_DAILY_LIMIT instead and remove ${name} (got "${String(raw[name])}")`,
  );
  // The fallbacks are the defaults the retired variables had.
  const valueOf = (name: string, fallback: string): string =>
    retired.includes(name) ? String(raw[name]).trim() : fallback;
  const oldLimit = valueOf('QUOTA_LIMIT', '5');
  const oldPeriod = valueOf('QUOTA_PERIOD', 'day');
  if (/^\d+$/.test(oldLimit) && (QUOTA_PERIODS as readonly string[]).includes(oldPeriod)) {
    const hourly = oldPeriod === 'hour' ? oldLimit : 'none';
    const daily = oldPeriod === 'day' ? oldLimit : 'none';
    lines.push(
      `  The same quota as before is QUOTA_HOURLY_LIMIT=${hourly} QUOTA_DAILY_LIMIT=${daily}`,
    );
  }

  return lines;
}

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') {
    return value;
  }

  const word = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(word)) {
    return true;
  }

  return ['false', '0', 'no', 'off'].includes(word) ? false : value;
};

const TRUST_PROXY_MESSAGE =
  'TRUST_PROXY must be false, true, a hop count such as 1, or a comma-separated list of proxy ' +
  'addresses and CIDR ranges such as 127.0.0.1,10.0.0.0/8';

/**
 * Reads TRUST_PROXY as a hop count or a boolean when it is one; other text stays as it is. Digits
 * are a hop count, so "1" trusts one proxy, not every hop as "true" would.
 */
function toTrustProxy({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') {
    return value;
  }

  if (/^\s*\d+\s*$/.test(value)) {
    return Number(value);
  }

  const word = value.trim().toLowerCase();
  if (word === 'true' || word === 'false') {
    return word === 'true';
  }

  return value.trim();
}

function isAddressOrRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.trim().split('/');
  const maxPrefix = isIP(address ?? '') === 6 ? 128 : 32;

  return (
    rest.length === 0 &&
    isIP(address ?? '') !== 0 &&
    (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix))
  );
}

/** Accepts what toTrustProxy produces: a boolean, a hop count, or a list of addresses and ranges. */
function IsTrustProxy(): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTrustProxy',
      validator: {
        validate: (value: unknown): boolean =>
          typeof value === 'boolean' ||
          (typeof value === 'number' && Number.isSafeInteger(value)) ||
          (typeof value === 'string' && value.split(',').every(isAddressOrRange)),
      },
    },
    { message: TRUST_PROXY_MESSAGE },
  );
}

/** Accepts a URL whose scheme is one of `schemes`, such as `postgres:`. */
function IsUrlWithScheme(schemes: string[], message: string): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isUrlWithScheme',
      validator: {
        validate: (value: unknown): boolean => {
          if (typeof value !== 'string' || !URL.canParse(value)) {
            return false;
          }

          const url = new URL(value);
          return schemes.includes(url.protocol) && url.hostname !== '';
        },
      },
    },
    { message },
  );
}

/**
 * Returns `url` without its password, for logs and error messages. A value that is not a URL is
 * replaced whole, because it may be a password pasted in the wrong place.
 */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) {
    return '(not a URL)';
  }

  const parsed = new URL(url);
  if (parsed.password !== '') {
    parsed.password = '***';
  }

  return parsed.toString();
}

/**
 * Every environment variable the server and the CLI read, with its default.
 * README.md has the same table; keep the two in step.
 */
export class Environment {
  @IntegerInRange(0, 65535)
  PORT = 5000;

  @IsString()
  @MinLength(1, { message: 'HOST must be a host name or IP address, such as 127.0.0.1 or 0.0.0.0' })
  HOST = '127.0.0.1';

  @IsString()
  @MinLength(1, { message: 'DATABASE_PATH must be a file path' })
  DATABASE_PATH = DEFAULT_DATABASE_PATH;

  /**
   * PostgreSQL connection URL (postgres://user:password@host:5432/database). When set, it
   * replaces the SQLite file at DATABASE_PATH, so several servers can share keys and quotas.
   */
  @IsOptional()
  @IsUrlWithScheme(
    ['postgres:', 'postgresql:'],
    'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@127.0.0.1:5432/primetime',
  )
  DATABASE_URL: string | undefined = undefined;

  /** Connections each process keeps open to PostgreSQL at most. */
  @IntegerInRange(1, 1000)
  DATABASE_POOL_SIZE = 10;

  /**
   * Redis connection URL (redis://host:6379). When set, burst and failed-authentication counters
   * are shared by every server that uses it, and key revocations reach them at once.
   */
  @IsOptional()
  @IsUrlWithScheme(
    ['redis:', 'rediss:'],
    'REDIS_URL must be a Redis URL such as redis://127.0.0.1:6379 (rediss:// for TLS)',
  )
  REDIS_URL: string | undefined = undefined;

  /** Server processes that share the port (Node's cluster module); 1 runs no cluster. */
  @IntegerInRange(1, 256)
  WORKERS = 1;

  /** bcrypt cost factor: each step doubles the time to hash and to verify a key. */
  @IntegerInRange(10, 15)
  BCRYPT_COST = 10;

  /**
   * Token for the admin routes under /admin/keys, at least 32 characters. Without it those routes
   * return 404. It is compared in constant time and never logged.
   */
  @IsOptional()
  @IsString()
  @MinLength(32, {
    message: 'ADMIN_TOKEN must be at least 32 characters; generate one with: openssl rand -hex 32',
  })
  ADMIN_TOKEN: string | undefined = undefined;

  /** Failed authentications one IP address may make per AUTH_FAILURE_WINDOW_SECONDS before it gets 429. */
  @IntegerInRange(1, 1_000_000)
  AUTH_FAILURE_LIMIT = 10;

  @IntegerInRange(1, 86400)
  AUTH_FAILURE_WINDOW_SECONDS = 60;

  /** How long a successful key verification is remembered, in seconds; 0 turns the cache off. */
  @IntegerInRange(0, 86400)
  KEY_CACHE_TTL_SECONDS = 60;

  /**
   * How long a key row read for verification is reused, in milliseconds; 0 reads it on every
   * request. Without REDIS_URL, a key revoked by another process (the CLI, another server) works
   * here for up to this long. With it, the revocation is announced and the row dropped at once.
   */
  @IntegerInRange(0, 60_000)
  KEY_ROW_CACHE_MS = 1000;

  /** Maximum number of remembered key verifications; the least recently used are dropped first. */
  @IntegerInRange(1, 10_000_000)
  KEY_CACHE_MAX_ENTRIES = 10_000;

  /** Metered requests per UTC hour for keys created without an hourly limit. Null is unlimited. */
  @LimitOrNone()
  QUOTA_HOURLY_LIMIT: number | null = null;

  /** Metered requests per UTC day for keys created without a daily limit. Null is unlimited. */
  @LimitOrNone()
  QUOTA_DAILY_LIMIT: number | null = 5;

  /** Largest accepted /check-prime input, in bits of its absolute value. */
  @IntegerInRange(64, 65536)
  PRIME_MAX_BITS = 4096;

  /** Time limit of one primality test on a worker thread, queue wait included, in milliseconds. */
  @IntegerInRange(100, 600_000)
  PRIME_TIMEOUT_MS = 10_000;

  /** Worker threads for primality tests of inputs above 512 bits; 0 means one per CPU core. */
  @IntegerInRange(0, 256)
  PRIME_WORKERS = 0;

  /** Engine for inputs above the exact range: GMP (the default), or OpenSSL for comparison. */
  @IsIn(PRIME_ENGINES, { message: `PRIME_ENGINE must be one of: ${PRIME_ENGINES.join(', ')}` })
  PRIME_ENGINE: PrimeEngine = 'gmp';

  /** Largest accepted request body, in bytes. */
  @IntegerInRange(1024, 1048576)
  BODY_LIMIT_BYTES = 16384;

  /** Requests one key may make per BURST_WINDOW_MS across all routes, counted by @nestjs/throttler. */
  @IntegerInRange(1, 1_000_000)
  BURST_LIMIT = 20;

  /** Length of the burst window in milliseconds (the unit @nestjs/throttler uses). */
  @IntegerInRange(100, 3_600_000)
  BURST_WINDOW_MS = 1000;

  /**
   * Proxies trusted to set the client address through X-Forwarded-For: `false` (none, the
   * default), `true` (any), a hop count, or a comma-separated list of addresses and CIDR ranges.
   */
  @Transform(toTrustProxy)
  @IsTrustProxy()
  TRUST_PROXY: boolean | number | string = false;

  /** Meters /get-current-time too, at 1 quota unit per call. */
  @Transform(toBoolean)
  @IsBoolean({ message: 'METER_CURRENT_TIME must be true or false' })
  METER_CURRENT_TIME = false;

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of: ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevelName = 'log';

  /**
   * Maximum wait for requests in flight after SIGTERM or SIGINT, in milliseconds. Connections
   * still open after it are closed and the shutdown goes on.
   */
  @IntegerInRange(0, 600_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;
}

/** Variables whose values are never printed, not even in a validation error. */
const SECRET_VARIABLES = new Set(['ADMIN_TOKEN']);

/** Variables that may carry a password, printed without it. */
const URL_VARIABLES = new Set(['DATABASE_URL', 'REDIS_URL']);

/**
 * Validates the environment once at start-up and returns it with defaults filled in.
 * Throws an Error that lists every invalid variable, so a bad deployment fails fast.
 */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const known = Object.keys(new Environment());
  const present = Object.fromEntries(
    known
      .filter((name) => raw[name] !== undefined && raw[name] !== '')
      .map((name) => [name, raw[name]]),
  );
  const environment = plainToInstance(Environment, present, { exposeDefaultValues: true });
  const errors = validateSync(environment, { skipMissingProperties: false });
  const retiredLines = describeRetiredQuotaVariables(raw);
  if (errors.length > 0 || retiredLines.length > 0) {
    const lines = errors.flatMap((error) =>
      Object.values(error.constraints ?? {}).map(
        (message) => `  ${message} (got ${describeValue(error.property, error.value)})`,
      ),
    );
    lines.push(...retiredLines);
    throw new Error(`Invalid configuration:\n${[...new Set(lines)].join('\n')}`);
  }

  return environment;
}

function describeValue(variable: string, value: unknown): string {
  if (SECRET_VARIABLES.has(variable)) {
    return 'a hidden value';
  }

  return `"${URL_VARIABLES.has(variable) ? redactUrl(String(value)) : String(value)}"`;
}

/**
 * Reads the configuration from `.env` in the working directory (when present), then the process
 * environment, then `overrides`, each taking precedence over the one before, and validates it.
 */
export function loadEnvironment(
  overrides: Record<string, string> = {},
  envFile = '.env',
): Environment {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};

  return validateEnvironment({ ...fromFile, ...process.env, ...overrides });
}
