import { setTimeout as sleep } from 'node:timers/promises';

import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';

import { buildDataSourceOptions } from '../../ormconfig.js';
import { Environment } from '../config/environment.js';
import { SqlRunner } from './sql-runner.js';

/** Errors a migration gets when another process is applying the same migration at that moment. */
const CONCURRENT_MIGRATION = /already exists|duplicate key|database is locked|SQLITE_BUSY/i;

const logger = new Logger('Migrations');

/**
 * Applies pending migrations. Processes that start together on one database (two servers, a
 * server and the CLI) race to apply them: each migration runs in its own transaction, so the
 * loser's transaction fails and rolls back. It then runs again and finds the migration applied.
 */
export async function runMigrations(dataSource: DataSource, attempts = 50): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await dataSource.runMigrations({ transaction: 'each' });
      return;
    } catch (error) {
      if (attempt >= attempts || !CONCURRENT_MIGRATION.test(String(error))) {
        throw error;
      }

      logger.debug(`Another process is migrating; retry ${attempt}`);
      await sleep(50 + Math.random() * 100);
    }
  }
}

/** Opens the database and applies pending migrations before the app starts. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [Environment],
      useFactory: (environment: Environment) => buildDataSourceOptions(environment.DATABASE_PATH),
      dataSourceFactory: async (options?: DataSourceOptions) => {
        const dataSource = await new DataSource(options!).initialize();
        await runMigrations(dataSource);

        return dataSource;
      },
    }),
  ],
  providers: [SqlRunner],
  exports: [SqlRunner],
})
export class DatabaseModule {}
