import { randomBytes } from 'node:crypto';

/**
 * API key format: `<issued>_<id>_<secret>`, for example
 * `1764892800_4fQz9LbT2mWx_Vq8rK2nX5sD1pL7yT3hB6c` (46 characters).
 *
 * - `issued`: the Unix time of issue in seconds, 10 decimal digits (until the year 2286).
 * - `id`: 12 base62 characters from `crypto.randomBytes`, the public key id. It is the primary
 *   key of the stored row, so verification is one index lookup followed by one bcrypt compare.
 * - `secret`: 22 base62 characters from `crypto.randomBytes` (about 131 bits).
 *
 * Every character is in [0-9A-Za-z_], which is safe in an HTTP header without encoding. The
 * whole key is hashed with bcrypt, and at 46 bytes it is under bcrypt's 72-byte input limit,
 * beyond which bcrypt ignores the rest.
 */
export interface ApiKeyParts {
  issuedAt: number;
  id: string;
  secret: string;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 12;
const SECRET_LENGTH = 22;
const KEY_PATTERN = /^(\d{10})_([0-9A-Za-z]{12})_([0-9A-Za-z]{22})$/;

/** Length of every key. `parseApiKey` rejects any other length before it runs the pattern. */
export const MAX_API_KEY_LENGTH = 10 + 1 + ID_LENGTH + 1 + SECRET_LENGTH;

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

export function generateApiKey(
  now: Date,
  bytes?: (size: number) => Buffer,
): { key: string } & ApiKeyParts {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const id = randomBase62(ID_LENGTH, bytes);
  const secret = randomBase62(SECRET_LENGTH, bytes);

  return { key: `${issuedAt}_${id}_${secret}`, issuedAt, id, secret };
}

/** Splits a presented key into its parts, or returns null when it does not have the key format. */
export function parseApiKey(presented: string): ApiKeyParts | null {
  if (presented.length !== MAX_API_KEY_LENGTH) {
    return null;
  }

  const match = KEY_PATTERN.exec(presented);
  if (!match) {
    return null;
  }

  return { issuedAt: Number(match[1]), id: match[2], secret: match[3] };
}
