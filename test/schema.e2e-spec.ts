import 'reflect-metadata';

import { DataSource } from 'typeorm';

import { buildDataSourceOptions } from '../src/database/data-source-options.js';
import { runMigrations } from '../src/database/database.module.js';
import { describeWith } from './support/requires.js';
import { readSchema, TableShape } from './support/schema-catalog.js';
import {
  createTestDatabase,
  POSTGRES_URL,
  TestDatabase,
  TestEngine,
} from './support/test-database.js';

const ENGINES: TestEngine[] = ['sqlite', 'postgres'];

/** Columns that the first migration, CreateApiKeys, creates. */
const FIRST_MIGRATION_COLUMNS = [
  'created_at',
  'daily_limit',
  'daily_used',
  'daily_window_start',
  'hourly_limit',
  'hourly_used',
  'hourly_window_start',
  'id',
  'key_hash',
  'name',
  'revoked_at',
];
/** Columns that the second migration, AddKeyLifecycle, adds. */
const LIFECYCLE_COLUMNS = ['expires_at', 'last_used_at', 'replaced_by'];

/** Creates empty databases and opens them with the server's DataSource options. */
function databaseOpener() {
  const databases: TestDatabase[] = [];
  const dataSources: DataSource[] = [];

  /**
   * Opens a new empty database of `engine`. `migrationCount` keeps only the first migrations of
   * the server's list, to build the schema that undoing the later ones must return to.
   */
  const open = async (engine: TestEngine, migrationCount?: number): Promise<DataSource> => {
    const database = await createTestDatabase(engine);
    databases.push(database);
    const options = buildDataSourceOptions({
      DATABASE_PATH: database.environment.DATABASE_PATH ?? '',
      DATABASE_URL: database.environment.DATABASE_URL || undefined,
      DATABASE_POOL_SIZE: 2,
    });
    const migrations = (options.migrations as unknown[]).slice(0, migrationCount);
    const dataSource = await new DataSource({
      ...options,
      migrations,
    } as typeof options).initialize();
    dataSources.push(dataSource);

    return dataSource;
  };

  const closeAll = async (): Promise<void> => {
    await Promise.all(dataSources.splice(0).map((dataSource) => dataSource.destroy()));
    await Promise.all(databases.splice(0).map((database) => database.remove()));
  };

  return { open, closeAll };
}

async function appliedMigrations(dataSource: DataSource): Promise<string[]> {
  const rows = await dataSource.query<
    {
      name: string;
    }[]
  >('SELECT name FROM migrations ORDER BY id');

  return rows.map((row) => row.name);
}

function columnNames(schema: TableShape[], table: string): string[] {
  return schema.find((shape) => shape.name === table)?.columns.map((column) => column.name) ?? [];
}

describeWith({ DATABASE_URL: POSTGRES_URL })('schema on SQLite and PostgreSQL', () => {
  const { open, closeAll } = databaseOpener();

  afterEach(closeAll);

  it('is the same after migrating', async () => {
    const [sqlite, postgres] = await Promise.all(ENGINES.map((engine) => open(engine)));
    await Promise.all([runMigrations(sqlite), runMigrations(postgres)]);

    const sqliteSchema = await readSchema(sqlite);
    const postgresSchema = await readSchema(postgres);

    expect(columnNames(sqliteSchema, 'api_keys')).toEqual(
      [...FIRST_MIGRATION_COLUMNS, ...LIFECYCLE_COLUMNS].sort(),
    );
    expect(sqliteSchema.find((table) => table.name === 'api_keys')?.primaryKey).toEqual(['id']);
    expect(sqliteSchema).toEqual(postgresSchema);
  });

  it('is the same after an undo', async () => {
    const [sqlite, postgres] = await Promise.all(ENGINES.map((engine) => open(engine)));
    await Promise.all([runMigrations(sqlite), runMigrations(postgres)]);
    await Promise.all([
      sqlite.undoLastMigration({ transaction: 'each' }),
      postgres.undoLastMigration({ transaction: 'each' }),
    ]);

    expect(await readSchema(sqlite)).toEqual(await readSchema(postgres));
  });
});

for (const engine of ENGINES) {
  const describeEngine =
    engine === 'postgres' ? describeWith({ DATABASE_URL: POSTGRES_URL }) : describe;

  describeEngine(`migrations on ${engine}`, () => {
    const { open, closeAll } = databaseOpener();

    afterEach(closeAll);

    it('change nothing when run twice', async () => {
      const dataSource = await open(engine);
      await runMigrations(dataSource);
      const schema = await readSchema(dataSource);
      const applied = await appliedMigrations(dataSource);

      await runMigrations(dataSource);

      expect(await readSchema(dataSource)).toEqual(schema);
      expect(await appliedMigrations(dataSource)).toEqual(applied);
      expect(applied).toEqual(['CreateApiKeys1764892800000', 'AddKeyLifecycle1796400000000']);
    });

    it('undo the last migration', async () => {
      const dataSource = await open(engine);
      const firstOnly = await open(engine, 1);
      await Promise.all([runMigrations(dataSource), runMigrations(firstOnly)]);
      await dataSource.query(
        'INSERT INTO api_keys (id, name, key_hash, created_at, daily_limit, expires_at) ' +
          "VALUES ('kept0000000000000000000000000000', 'kept', 'hash', 1, 5, 2)",
      );

      await dataSource.undoLastMigration({ transaction: 'each' });
      const rows = await dataSource.query<Record<string, unknown>[]>(
        'SELECT id, name, key_hash, created_at, daily_limit, daily_used FROM api_keys',
      );

      expect(await readSchema(dataSource)).toEqual(await readSchema(firstOnly));
      expect(await appliedMigrations(dataSource)).toEqual(['CreateApiKeys1764892800000']);
      // PostgreSQL returns bigint columns as strings.
      expect(rows.map((row) => ({ ...row, created_at: Number(row.created_at) }))).toEqual([
        {
          id: 'kept0000000000000000000000000000',
          name: 'kept',
          key_hash: 'hash',
          created_at: 1,
          daily_limit: 5,
          daily_used: 0,
        },
      ]);
    });

    it('redo the undone migration', async () => {
      const dataSource = await open(engine);
      await runMigrations(dataSource);
      const schema = await readSchema(dataSource);

      await dataSource.undoLastMigration({ transaction: 'each' });
      await runMigrations(dataSource);

      expect(await readSchema(dataSource)).toEqual(schema);
    });
  });
}
