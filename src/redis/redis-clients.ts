import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';

import { Environment, redactUrl } from '../config/environment.js';

/** Longest wait for one Redis command; past it the caller falls back to what this process knows. */
const COMMAND_TIMEOUT_MS = 500;

/**
 * The Redis connections of a process when REDIS_URL is set: one for commands (the shared
 * throttler counters and publishing), and one in subscriber mode, which Redis requires for
 * receiving messages. Both connect at start, so a wrong REDIS_URL stops the start with a clear
 * error. Later outages do not stop requests: commands fail fast instead of queueing, and ioredis
 * reconnects and subscribes again in the background.
 */
@Injectable()
export class RedisClients implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisClients.name);
  /** The connection for commands, or null without REDIS_URL. */
  readonly commands: Redis | null;
  private readonly subscriber: Redis | null;
  private readonly listeners = new Map<string, ((message: string) => void)[]>();
  private readonly url: string;

  constructor(environment: Environment) {
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
    // A subscriber connection sends SUBSCRIBE again after each reconnect, which needs the queue.
    this.subscriber = new Redis(environment.REDIS_URL, { ...options, enableOfflineQueue: true });
    this.subscriber.on('message', (channel: string, message: string) => {
      this.listeners.get(channel)?.forEach((listener) => listener(message));
    });
    this.logErrors(this.commands, 'commands');
    this.logErrors(this.subscriber, 'subscriber');
  }

  /** Whether REDIS_URL is set. */
  get enabled(): boolean {
    return this.commands !== null;
  }

  async onModuleInit(): Promise<void> {
    if (!this.commands || !this.subscriber) {
      return;
    }

    try {
      await Promise.all([this.commands.connect(), this.subscriber.connect()]);
    } catch (error) {
      this.disconnect();
      throw new Error(
        `Failed to connect to Redis at ${this.url} (REDIS_URL): ${error instanceof Error ? error.message : String(error)}. ` +
          'Start Redis, fix REDIS_URL, or unset it to keep the limits in each process.',
      );
    }
  }

  /** Calls `listener` with each message published on `channel` by any process. */
  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    if (!this.subscriber) {
      return;
    }

    const listeners = this.listeners.get(channel) ?? [];
    listeners.push(listener);
    this.listeners.set(channel, listeners);
    if (listeners.length === 1) {
      await this.subscriber.subscribe(channel);
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
