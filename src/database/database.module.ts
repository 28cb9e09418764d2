import { setTimeout as sleep } from 'node:timers/promises';

import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';

import { Environment, redactUrl } from '../config/environment.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { SqlRunner } from './sql-runner.js';

/** Errors a migration gets when another process is applying the same migration at that moment. */
const CONCURRENT_MIGRATION = /already exists|duplicate key|database is locked|SQLITE_BUSY/i;

/**
 * Key of the PostgreSQL advisory lock that servers and the CLI take while they migrate, so only
 * one of the processes that start together on a database applies the migrations.
 */
const MIGRATION_LOCK_KEY = 0x7072_696d; // "prim"

const logger = new Logger('Migrations');

/**
 * Applies pending migrations. On PostgreSQL the processes that start together take turns under
 * an advisory lock. On SQLite they race: each migration runs in its own transaction, so the
 * loser's transaction fails and rolls back. It then runs again and finds the migration applied.
 */
export async function runMigrations(dataSource: DataSource, attempts = 50): Promise<void> {
  const migrate = async (): Promise<void> => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) {
      logger.log(`Applied ${applied.length} migrations: ${applied.map((m) => m.name).join(', ')}`);
    }
  };
  if (dataSource.options.type === 'postgres') {
    await withAdvisoryLock(dataSource, migrate);
    return;
  }

  for (let attempt = 1; ; attempt++) {
    try {
      await migrate();
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

/** Runs `work` while this session holds the migration lock, which PostgreSQL frees on disconnect. */
async function withAdvisoryLock(
  dataSource: DataSource,
  work: () => Promise<unknown>,
): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/** Connects to the database, with an error that names the setting to check when it fails. */
async function openDatabase(options: DataSourceOptions): Promise<DataSource> {
  try {
    return await new DataSource(options).initialize();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint =
      options.type === 'postgres'
        ? `Failed to connect to PostgreSQL at ${redactUrl(options.url ?? '')} (DATABASE_URL): ${reason}. ` +
          'Check that the server runs, that the database exists and that the URL names a user allowed ' +
          'to use it (see docs/deploy.md).'
        : `Failed to open the SQLite database ${String(options.database)} (DATABASE_PATH): ${reason}. ` +
          'Check that its directory can be written.';
    throw new Error(hint, { cause: error });
  }
}

/** Opens the database (SQLite, or PostgreSQL when DATABASE_URL is set) and migrates it. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [Environment],
      // A database that is still starting gets 5 tries, 2 s apart, before the start fails.
      useFactory: (environment: Environment) => ({
        ...buildDataSourceOptions(environment),
        retryAttempts: 5,
        retryDelay: 2000,
      }),
      dataSourceFactory: async (options?: DataSourceOptions) => {
        const dataSource = await openDatabase(options!);
        await runMigrations(dataSource);

        return dataSource;
      },
    }),
  ],
  providers: [SqlRunner],
  exports: [SqlRunner],
})
export class DatabaseModule {}
