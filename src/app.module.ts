import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';

import { ApiKeyGuard } from './common/api-key.guard.js';
import { CommonModule } from './common/common.module.js';
import { ThrottlingModule } from './common/throttling.module.js';
import { AppConfigModule } from './config/config.module.js';
import { Environment } from './config/environment.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { KeysModule } from './keys/keys.module.js';
import { PrimeModule } from './prime/prime.module.js';
import { BurstThrottlerGuard } from './quota/burst-throttler.guard.js';
import { QuotaModule } from './quota/quota.module.js';
import { TimeModule } from './time/time.module.js';
import { RedisModule } from './redis/redis.module.js';

@Module({})
export class AppModule {
  static forRoot(environment: Environment): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(environment),
        CommonModule,
        RedisModule.forRoot({ required: true }),
        ThrottlingModule,
        DatabaseModule,
        ScheduleModule.forRoot(),
        KeysModule,
        QuotaModule,
        TimeModule,
        PrimeModule,
        HealthModule,
      ],
      // Global guards run in this order: the key is verified before the burst limit counts it.
      // ApiKeyGuard is provided under its own class too, so a benchmark can swap it out.
      providers: [
        ApiKeyGuard,
        { provide: APP_GUARD, useExisting: ApiKeyGuard },
        { provide: APP_GUARD, useClass: BurstThrottlerGuard },
      ],
    };
  }
}
