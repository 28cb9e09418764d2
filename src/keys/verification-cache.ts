import { createHash } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';

import { Environment } from '../config/environment.js';
import { KeyHasher } from './key-hasher.js';

/**
 * Remembers which presented keys matched which stored bcrypt hash, so a repeated request costs a
 * SHA-256 instead of a bcrypt compare (about 50 ms at cost 10). Entries are keyed by the SHA-256
 * of the presented key, never the key itself, and hold the hash they matched. The caller still
 * checks revocation and expiry on the key row, and a changed hash misses the cache. Only matches
 * are cached. Concurrent first requests with the same key share one bcrypt compare.
 */
@Injectable()
export class VerificationCache {
  private readonly matches: LRUCache<string, string>;
  private readonly pending = new Map<string, Promise<boolean>>();
  private readonly enabled: boolean;

  constructor(
    private readonly hasher: KeyHasher,
    environment: Environment,
  ) {
    this.enabled = environment.KEY_CACHE_TTL_SECONDS > 0;
    this.matches = new LRUCache({
      max: environment.KEY_CACHE_MAX_ENTRIES,
      ttl: Math.max(1, environment.KEY_CACHE_TTL_SECONDS) * 1000,
    });
  }

  /** Returns whether `presented` matches the bcrypt `hash`, calling bcrypt only on a cache miss. */
  async compare(presented: string, hash: string): Promise<boolean> {
    const digest = createHash('sha256').update(presented).digest('base64');
    if (this.matches.get(digest) === hash) {
      return true;
    }

    const pendingKey = `${digest}:${hash}`;
    let comparison = this.pending.get(pendingKey);
    if (!comparison) {
      comparison = this.hasher
        .compare(presented, hash)
        .finally(() => this.pending.delete(pendingKey));
      this.pending.set(pendingKey, comparison);
    }

    const matched = await comparison;
    if (matched && this.enabled) {
      this.matches.set(digest, hash);
    }

    return matched;
  }
}
