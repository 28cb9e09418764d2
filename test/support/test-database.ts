import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import pg from 'pg';

export type TestEngine = 'sqlite' | 'postgres';

/**
 * The engine of the databases that tests create: SQLite unless TEST_DATABASE=postgres, which
 * `npm run test:e2e:postgres` sets to run the end-to-end suite against PostgreSQL.
 */
export const TEST_ENGINE: TestEngine =
  process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

/** The PostgreSQL server that tests may use, or undefined when DATABASE_URL is not set. */
export const POSTGRES_URL = process.env.DATABASE_URL || undefined;

/** The Redis server that tests may use, or undefined when REDIS_URL is not set. */
export const REDIS_URL = process.env.REDIS_URL || undefined;

export interface TestDatabase {
  engine: TestEngine;
  /**
   * Variables that point a server or the CLI at this database and nothing else: they also clear
   * a DATABASE_URL or REDIS_URL that the test process inherited.
   */
  environment: Record<string, string>;
  /** Runs SQL on the database, with `?` placeholders on SQLite and `$1` on PostgreSQL. */
  query(sql: string, parameters?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Every stored byte as text, to check that no secret is stored in plaintext. */
  storedText(): Promise<string>;
  /** Deletes the database. */
  remove(): Promise<void>;
}

/** Creates an empty database of `engine` for one test server or CLI run. */
export function createTestDatabase(engine: TestEngine = TEST_ENGINE): Promise<TestDatabase> {
  return engine === 'postgres' ? createPostgresDatabase() : Promise.resolve(createSqliteDatabase());
}

function createSqliteDatabase(): TestDatabase {
  const directory = mkdtempSync(join(tmpdir(), 'primetime-test-'));
  const databasePath = join(directory, 'primetime.sqlite');

  return {
    engine: 'sqlite',
    environment: { DATABASE_PATH: databasePath, DATABASE_URL: '', REDIS_URL: '' },
    query: (sql, parameters = []) => {
      const database = new Database(databasePath);
      try {
        const statement = database.prepare(sql);
        return Promise.resolve(
          statement.reader
            ? (statement.all(...parameters) as Record<string, unknown>[])
            : (statement.run(...parameters), []),
        );
      } finally {
        database.close();
      }
    },
    storedText: () =>
      Promise.resolve(
        ['', '-wal', '-shm']
          .map((suffix) => {
            try {
              return readFileSync(`${databasePath}${suffix}`).toString('latin1');
            } catch {
              return '';
            }
          })
          .join('\n'),
      ),
    remove: () => {
      rmSync(directory, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  if (!POSTGRES_URL) {
    throw new Error(
      'TEST_DATABASE=postgres needs DATABASE_URL, such as postgres://root@127.0.0.1:5432/test',
    );
  }

  const name = `primetime_test_${randomBytes(6).toString('hex')}`;
  await onServer(POSTGRES_URL, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();

  return {
    engine: 'postgres',
    environment: { DATABASE_URL: databaseUrl, REDIS_URL: '' },
    query: (sql, parameters = []) =>
      onServer(
        databaseUrl,
        async (client) => (await client.query<Record<string, unknown>>(sql, parameters)).rows,
      ),
    storedText: () =>
      onServer(databaseUrl, async (client) => {
        const tables = await client.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        );
        const dumps = await Promise.all(
          tables.rows.map(
            async ({ table_name }) =>
              (await client.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`))
                .rows,
          ),
        );
        return dumps
          .flat()
          .map((row) => String(row.row))
          .join('\n');
      }),
    remove: async () => {
      await onServer(POSTGRES_URL, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
    },
  };
}

async function onServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
