import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API key format: `pt_<issued>_<id>_<secret><checksum>`, for example
 * `pt_1796416286_FGn9Al5CURGK_ApTzQuNobosQLtVImoLBgQ0bX9Kz` (55 characters).
 *
 * - `pt_`: the product prefix, so people and secret scanners can recognise a primetime key.
 * - `issued`: the Unix time of issue in seconds, 10 decimal digits (until the year 2286).
 * - `id`: 12 base62 characters from `crypto.randomBytes`, the public key id. It is the primary
 *   key of the stored row, so verification is one index lookup followed by one bcrypt compare.
 * - `secret`: 22 base62 characters from `crypto.randomBytes` (about 131 bits).
 * - `checksum`: the CRC32 of everything before it, as 6 base62 digits. A typo or a truncated key
 *   fails the checksum, so it is rejected before any database or bcrypt work.
 *
 * Every character is in [0-9A-Za-z_], which is safe in an HTTP header without encoding. The
 * whole key is hashed with bcrypt, and at 55 bytes it is under bcrypt's 72-byte input limit,
 * beyond which bcrypt ignores the rest.
 */
export interface ApiKeyParts {
  issuedAt: number;
  id: string;
  secret: string;
}

export const API_KEY_PREFIX = 'pt_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 12;
const SECRET_LENGTH = 22;
const CHECKSUM_LENGTH = 6;
const KEY_ID_PATTERN = new RegExp(`^[0-9A-Za-z]{${ID_LENGTH}}$`);
const KEY_PATTERN = /^pt_(\d{10})_([0-9A-Za-z]{12})_([0-9A-Za-z]{22})([0-9A-Za-z]{6})$/;

/** Length of every key. `parseApiKey` rejects any other length before it runs the pattern. */
export const API_KEY_LENGTH =
  API_KEY_PREFIX.length + 10 + 1 + ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;

/** Returns `length` uniformly random base62 characters, using rejection sampling to avoid bias. */
export function randomBase62(
  length: number,
  bytes: (size: number) => Buffer = randomBytes,
): string {
  let result = '';
  while (result.length < length) {
    for (const byte of bytes(length * 2)) {
      // 248 = 4 × 62: bytes at or above it would make the first characters more likely.
      if (byte < 248 && result.length < length) {
        result += BASE62[byte % 62];
      }
    }
  }

  return result;
}

/** Returns the CRC32 of `text` as 6 base62 digits, most significant first. */
export function checksum(text: string): string {
  let value = crc32(text);
  let digits = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    digits = BASE62[value % 62] + digits;
    value = Math.floor(value / 62);
  }

  return digits;
}

export function generateApiKey(
  now: Date,
  bytes?: (size: number) => Buffer,
): { key: string } & ApiKeyParts {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const id = randomBase62(ID_LENGTH, bytes);
  const secret = randomBase62(SECRET_LENGTH, bytes);
  const body = `${API_KEY_PREFIX}${issuedAt}_${id}_${secret}`;

  return { key: `${body}${checksum(body)}`, issuedAt, id, secret };
}

/** Returns whether `id` has the shape of a key id (12 base62 characters). */
export function isKeyId(id: string): boolean {
  return KEY_ID_PATTERN.test(id);
}

/**
 * Splits a presented key into its parts, or returns null when its shape or checksum is wrong.
 * Costs at most one regular expression and one CRC32 over 49 bytes.
 */
export function parseApiKey(presented: string): ApiKeyParts | null {
  if (presented.length !== API_KEY_LENGTH) {
    return null;
  }

  const match = KEY_PATTERN.exec(presented);
  if (!match || checksum(presented.slice(0, -CHECKSUM_LENGTH)) !== match[4]) {
    return null;
  }

  return { issuedAt: Number(match[1]), id: match[2], secret: match[3] };
}

/** Returns the public part of a key, `pt_<issued>_<id>`, which identifies it in listings and logs. */
export function publicPrefix(issuedAt: number, id: string): string {
  return `${API_KEY_PREFIX}${issuedAt}_${id}`;
}
