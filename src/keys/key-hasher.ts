import { Injectable } from '@nestjs/common';
import bcrypt from 'bcrypt';

import { Environment } from '../config/environment.js';

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
