import type { DataSourceOptions } from 'typeorm';

import { CreateApiKeys1764892800000 } from '../../migrations/1764892800000-CreateApiKeys.js';
import { AddKeyLifecycle1796400000000 } from '../../migrations/1796400000000-AddKeyLifecycle.js';
import type { Environment } from '../config/environment.js';
import { ApiKey } from '../keys/api-key.entity.js';

/** The settings that choose and open the database. */
export type DatabaseSettings = Pick<
  Environment,
  'DATABASE_PATH' | 'DATABASE_URL' | 'DATABASE_POOL_SIZE'
>;

const shared = {
  entities: [ApiKey],
  migrations: [CreateApiKeys1764892800000, AddKeyLifecycle1796400000000],
  migrationsTransactionMode: 'each' as const,
  synchronize: false,
};

/**
 * TypeORM options shared by the server, the admin CLI and the TypeORM CLI: PostgreSQL when
 * DATABASE_URL is set, otherwise the SQLite file at DATABASE_PATH. The schema comes only from
 * the migrations listed here, the same on both engines; `synchronize` stays off.
 *
 * SQLite runs in WAL mode with synchronous=NORMAL, so a commit costs no fsync (a power loss can
 * drop the last commits but never corrupts the file), and a 5 s busy timeout lets the CLI and
 * servers write to the same file at the same time.
 */
export function buildDataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  if (settings.DATABASE_URL) {
    return {
      ...shared,
      type: 'postgres',
      url: settings.DATABASE_URL,
      // pg's pool options: a query waits at most 10 s for a free connection.
      extra: { max: settings.DATABASE_POOL_SIZE, connectionTimeoutMillis: 10_000 },
    };
  }

  return {
    ...shared,
    type: 'better-sqlite3',
    database: settings.DATABASE_PATH,
    enableWAL: true,
    timeout: 5000,
    prepareDatabase: (database: { pragma(source: string): unknown }) => {
      database.pragma('synchronous = NORMAL');
    },
  };
}
