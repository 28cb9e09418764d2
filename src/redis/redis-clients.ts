import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';

import { Environment, redactUrl } from '../config/environment.js';

/** Injection token: whether a Redis that cannot be reached at start stops the start. */
export const REDIS_REQUIRED = Symbol('REDIS_REQUIRED');

/** Maximum wait for one Redis command, in milliseconds. Past it the command fails with a timeout. */
const COMMAND_TIMEOUT_MS = 500;

/**
 * The Redis connections of a process when REDIS_URL is set: one for commands (the shared
 * throttler counters and publishing), and one in subscriber mode, which Redis requires for
 * receiving messages. Both connect at start, so a wrong REDIS_URL stops a server's start with a
 * clear error (the CLI logs it and goes on). Later outages do not stop requests: commands fail
 * fast instead of queueing, and ioredis reconnects and subscribes again in the background.
 */
@Injectable()
export class RedisClients implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisClients.name);
  /** The connection for commands, or null without REDIS_URL. */
  readonly commands: Redis | null;
  private readonly subscriber: Redis | null;
  private readonly listeners = new Map<string, ((message: string) => void)[]>();
  private readonly url: string;
  /** The last connection error of either connection, which names the cause (ECONNREFUSED). */
  private lastConnectionError: Error | null = null;

  constructor(
    environment: Environment,
    @Inject(REDIS_REQUIRED) private readonly required: boolean,
  ) {
    this.url = environment.REDIS_URL ? redactUrl(environment.REDIS_URL) : '';
    if (!environment.REDIS_URL) {
      this.commands = null;
      this.subscriber = null;
      return;
    }

    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectionName: 'primetime',
    };
    this.commands = new Redis(environment.REDIS_URL, options);
    // A subscriber connection sends SUBSCRIBE again after each reconnect, which needs the queue,
    // and a queued SUBSCRIBE waits for Redis to come back without a time limit.
    this.subscriber = new Redis(environment.REDIS_URL, {
      ...options,
      enableOfflineQueue: true,
      commandTimeout: undefined,
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      this.listeners.get(channel)?.forEach((listener) => listener(message));
    });
    this.logErrors(this.commands, 'commands');
    this.logErrors(this.subscriber, 'subscriber');
  }

  async onModuleInit(): Promise<void> {
    if (!this.commands || !this.subscriber) {
      return;
    }

    try {
      await Promise.all([this.commands.connect(), this.subscriber.connect()]);
    } catch (error) {
      // connect() rejects with "Connection is closed."; the error event before it names the cause.
      const cause = this.lastConnectionError ?? error;
      const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/\.$/, '');
      if (!this.required) {
        this.logger.warn(
          `Failed to connect to Redis at ${this.url} (REDIS_URL): ${reason}. Key changes made now ` +
            'reach running servers when their cached key rows expire (KEY_ROW_CACHE_MS).',
        );
        return;
      }

      this.disconnect();
      throw new Error(
        `Failed to connect to Redis at ${this.url} (REDIS_URL): ${reason}. ` +
          'Start Redis, fix REDIS_URL, or unset it to keep the limits in each process.',
        { cause: error },
      );
    }
  }

  /**
   * Calls `listener` with each message published on `channel` by any process. It does not wait
   * for Redis: the subscription is queued while Redis is unreachable and made once it is back.
   */
  subscribe(channel: string, listener: (message: string) => void): void {
    if (!this.subscriber) {
      return;
    }

    const listeners = this.listeners.get(channel) ?? [];
    listeners.push(listener);
    this.listeners.set(channel, listeners);
    if (listeners.length === 1) {
      this.subscriber.subscribe(channel).catch((error: unknown) => {
        this.logger.error(
          `Failed to subscribe to the Redis channel ${channel}: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    }
  }

  /** Publishes `message` on `channel`; without Redis it does nothing. */
  async publish(channel: string, message: string): Promise<void> {
    await this.commands?.publish(channel, message);
  }

  onApplicationShutdown(): void {
    this.disconnect();
  }

  private disconnect(): void {
    this.commands?.disconnect();
    this.subscriber?.disconnect();
  }

  /**
   * Logs connection errors at most once per outage: ioredis emits one on every reconnection try,
   * and an `error` event without a listener would crash the process.
   */
  private logErrors(client: Redis, role: string): void {
    let reported = false;
    client.on('error', (error: Error) => {
      this.lastConnectionError = error;
      if (!reported) {
        reported = true;
        this.logger.error(`Redis ${role} connection to ${this.url} failed: ${error.message}`);
      }
    });
    client.on('ready', () => {
      if (reported) {
        reported = false;
        this.logger.log(`Redis ${role} connection to ${this.url} is back`);
      }
    });
  }
}
