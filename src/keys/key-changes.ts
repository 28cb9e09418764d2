import { Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';

import { RedisClients } from '../redis/redis-clients.js';

/** Redis channel on which servers and the CLI announce the id of a changed key. */
export const KEY_CHANGES_CHANNEL = 'primetime:key-changes';

/**
 * Announces that a key was revoked, rotated or given new limits, so every process that cached
 * the key's row drops it and reads the change on the key's next request. With REDIS_URL the
 * announcement reaches every server on that Redis within milliseconds. Without it, only this
 * process hears it, and other servers see the change when their cached row expires
 * (KEY_ROW_CACHE_MS).
 */
@Injectable()
export class KeyChanges implements OnModuleInit {
  private readonly logger = new Logger(KeyChanges.name);
  private readonly listeners: ((keyId: string) => void)[] = [];

  constructor(private readonly redis: RedisClients) {}

  onModuleInit(): void {
    this.redis.subscribe(KEY_CHANGES_CHANNEL, (keyId) => this.notify(keyId));
  }

  /** Calls `listener` with the id of each key that changed, in this process or another. */
  onChange(listener: (keyId: string) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Tells this process and every other one that key `keyId` changed. A failed publish is logged,
   * not thrown: the change is already stored, and other servers see it within KEY_ROW_CACHE_MS.
   */
  async announce(keyId: string): Promise<void> {
    this.notify(keyId);
    try {
      await this.redis.publish(KEY_CHANGES_CHANNEL, keyId);
    } catch (error) {
      this.logger.error(
        `Failed to announce the change of key ${keyId} on Redis; other servers see it when their cached row expires: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private notify(keyId: string): void {
    this.listeners.forEach((listener) => listener(keyId));
  }
}
