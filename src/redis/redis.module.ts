import { DynamicModule, Global, Module } from '@nestjs/common';

import { REDIS_REQUIRED, RedisClients } from './redis-clients.js';

/** Connects to Redis when REDIS_URL is set. Without it, RedisClients has no connection. */
@Global()
@Module({})
export class RedisModule {
  /**
   * `required`: a Redis that cannot be reached at start stops the start (the server), or is only
   * logged (the CLI, whose key commands still work without the announcement).
   */
  static forRoot(options: { required: boolean }): DynamicModule {
    return {
      module: RedisModule,
      providers: [{ provide: REDIS_REQUIRED, useValue: options.required }, RedisClients],
      exports: [RedisClients],
    };
  }
}
