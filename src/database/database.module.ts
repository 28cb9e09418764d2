import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { buildDataSourceOptions } from '../../ormconfig.js';
import { Environment } from '../config/environment.js';

/** Opens the database and applies pending migrations before the app starts. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [Environment],
      useFactory: (environment: Environment) => ({
        ...buildDataSourceOptions(environment.DATABASE_PATH),
        migrationsRun: true,
      }),
    }),
  ],
})
export class DatabaseModule {}
