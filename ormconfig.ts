import 'reflect-metadata';

import { DataSource, DataSourceOptions } from 'typeorm';

import { CreateApiKeys1764892800000 } from './migrations/1764892800000-CreateApiKeys.js';
import { AddKeyLifecycle1796400000000 } from './migrations/1796400000000-AddKeyLifecycle.js';
import { DEFAULT_DATABASE_PATH } from './src/config/environment.js';
import { ApiKey } from './src/keys/api-key.entity.js';

/**
 * TypeORM options shared by the server, the admin CLI and the TypeORM CLI. The schema comes only
 * from the migrations listed here; `synchronize` stays off.
 *
 * SQLite runs in WAL mode with synchronous=NORMAL, so a commit costs no fsync (a power loss can
 * drop the last commits but never corrupts the file), and a 5 s busy timeout lets the CLI and the
 * server write to the same file at the same time.
 */
export function buildDataSourceOptions(databasePath: string): DataSourceOptions {
  return {
    type: 'better-sqlite3',
    database: databasePath,
    entities: [ApiKey],
    migrations: [CreateApiKeys1764892800000, AddKeyLifecycle1796400000000],
    migrationsTransactionMode: 'each',
    synchronize: false,
    enableWAL: true,
    timeout: 5000,
    prepareDatabase: (database: { pragma(source: string): unknown }) => {
      database.pragma('synchronous = NORMAL');
    },
  };
}

/** The data source the TypeORM CLI loads (`npm run migration:run`). */
export default new DataSource(
  buildDataSourceOptions(process.env.DATABASE_PATH || DEFAULT_DATABASE_PATH),
);
