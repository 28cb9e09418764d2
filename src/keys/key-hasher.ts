import { Injectable } from '@nestjs/common';
import bcrypt from 'bcrypt';

import { Environment } from '../config/environment.js';

/** bcrypt hash format: `$2a$`, `$2b$` or `$2y$`, a two-digit cost, then 53 characters of salt and hash. */
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** Returns whether `hash` is a whole bcrypt hash, not truncated and without trailing bytes. */
export function isBcryptHash(hash: string): boolean {
  return BCRYPT_HASH.test(hash);
}

/** bcrypt behind an injectable class, so tests can count or replace hashing. Always asynchronous. */
@Injectable()
export class KeyHasher {
  constructor(private readonly environment: Environment) {}

  hash(key: string): Promise<string> {
    return bcrypt.hash(key, this.environment.BCRYPT_COST);
  }

  compare(key: string, hash: string): Promise<boolean> {
    return bcrypt.compare(key, hash);
  }
}
