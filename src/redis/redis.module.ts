import { Global, Module } from '@nestjs/common';

import { RedisClients } from './redis-clients.js';

/** Connects to Redis when REDIS_URL is set; without it, RedisClients holds no connection. */
@Global()
@Module({
  providers: [RedisClients],
  exports: [RedisClients],
})
export class RedisModule {}
