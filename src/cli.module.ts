import { DynamicModule, Module } from '@nestjs/common';

import { CALL_SUBCOMMANDS, CallCommand } from './cli/call.commands.js';
import { CommonModule } from './common/common.module.js';
import { ThrottlingModule } from './common/throttling.module.js';
import { AppConfigModule } from './config/config.module.js';
import { Environment } from './config/environment.js';
import { DatabaseModule } from './database/database.module.js';
import { KEYS_SUBCOMMANDS, KeysCommand } from './keys/keys.commands.js';
import { KeysModule } from './keys/keys.module.js';
import { RedisModule } from './redis/redis.module.js';

/** The admin CLI: the same configuration and database as the server, without HTTP. */
@Module({})
export class CliModule {
  static forRoot(environment: Environment): DynamicModule {
    return {
      module: CliModule,
      // KeysModule's admin routes need ThrottlingModule's limiter, even though the CLI serves none.
      imports: [
        AppConfigModule.forRoot(environment),
        CommonModule,
        RedisModule.forRoot({ required: false }),
        ThrottlingModule,
        DatabaseModule,
        KeysModule,
      ],
      providers: [KeysCommand, ...KEYS_SUBCOMMANDS, CallCommand, ...CALL_SUBCOMMANDS],
    };
  }
}
