import type { DataSource } from 'typeorm';

/** A column as both engines can describe it. */
export interface ColumnShape {
  name: string;
  /** The declared type in lower case, such as integer, bigint or varchar(32). */
  type: string;
  nullable: boolean;
  /** The default as SQL text without casts or quotes, such as 0, or null without a default. */
  default: string | null;
}

/** An index other than the primary key. */
export interface IndexShape {
  columns: string[];
  unique: boolean;
}

export interface TableShape {
  name: string;
  /** Columns sorted by name. */
  columns: ColumnShape[];
  primaryKey: string[];
  /** Indexes other than the primary key, sorted by their columns. */
  indexes: IndexShape[];
}

/**
 * Reads every table of the database from the engine's catalog (SQLite's pragmas, PostgreSQL's
 * information_schema and pg_index), in one shape for both engines so that they can be compared.
 * Index names are left out, because each engine names the index of a primary key its own way.
 */
export async function readSchema(dataSource: DataSource): Promise<TableShape[]> {
  const tables =
    dataSource.options.type === 'postgres'
      ? await readPostgresTables(dataSource)
      : await readSqliteTables(dataSource);

  return tables
    .map((table) => ({
      ...table,
      columns: [...table.columns].sort((a, b) => a.name.localeCompare(b.name)),
      indexes: [...table.indexes].sort((a, b) =>
        a.columns.join(',').localeCompare(b.columns.join(',')),
      ),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Removes casts, quotes and outer parentheses, so `('0'::bigint)` and `0` compare equal. */
function normalizeDefault(value: string | null): string | null {
  if (value === null) {
    return null;
  }

  let text = value.trim();
  if (/^nextval\(/i.test(text)) {
    return 'autoincrement';
  }

  for (let previous = ''; previous !== text;) {
    previous = text;
    text = text
      .replace(/::[a-z ]+$/i, '')
      .replace(/^\((.*)\)$/, '$1')
      .replace(/^'(.*)'$/, '$1')
      .trim();
  }

  return text;
}

async function readSqliteTables(dataSource: DataSource): Promise<TableShape[]> {
  const tables = await dataSource.query<{ name: string; sql: string }[]>(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  );

  return Promise.all(
    tables.map(async ({ name, sql }) => {
      const columns = await dataSource.query<
        {
          name: string;
          type: string;
          notnull: number;
          dflt_value: string | null;
          pk: number;
        }[]
      >(`PRAGMA table_info("${name}")`);
      const primaryKey = columns
        .filter((column) => column.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((column) => column.name);
      // An INTEGER PRIMARY KEY AUTOINCREMENT column is SQLite's form of a serial column.
      const autoincrement = /AUTOINCREMENT/i.test(sql) ? primaryKey[0] : undefined;

      return {
        name,
        columns: columns.map((column) => ({
          name: column.name,
          type: column.type.toLowerCase(),
          nullable: column.notnull === 0 && column.pk === 0,
          default:
            column.name === autoincrement ? 'autoincrement' : normalizeDefault(column.dflt_value),
        })),
        primaryKey,
        indexes: await readSqliteIndexes(dataSource, name),
      };
    }),
  );
}

async function readSqliteIndexes(dataSource: DataSource, table: string): Promise<IndexShape[]> {
  const indexes = await dataSource.query<
    {
      name: string;
      unique: number;
      origin: string;
    }[]
  >(`PRAGMA index_list("${table}")`);

  return Promise.all(
    indexes
      .filter((index) => index.origin !== 'pk')
      .map(async (index) => {
        const columns = await dataSource.query<
          {
            seqno: number;
            name: string;
          }[]
        >(`PRAGMA index_info("${index.name}")`);
        return {
          columns: columns.sort((a, b) => a.seqno - b.seqno).map((column) => column.name),
          unique: index.unique === 1,
        };
      }),
  );
}

async function readPostgresTables(dataSource: DataSource): Promise<TableShape[]> {
  const tables = await dataSource.query<{ table_name: string }[]>(
    'SELECT table_name FROM information_schema.tables ' +
      "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
  );

  return Promise.all(
    tables.map(async ({ table_name: name }) => {
      const columns = await dataSource.query<
        {
          column_name: string;
          data_type: string;
          character_maximum_length: number | null;
          is_nullable: 'YES' | 'NO';
          column_default: string | null;
        }[]
      >(
        'SELECT column_name, data_type, character_maximum_length, is_nullable, column_default ' +
          'FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
        [name],
      );
      const indexes = await dataSource.query<
        { unique: boolean; primary: boolean; columns: string[] }[]
      >(
        'SELECT i.indisunique AS unique, i.indisprimary AS primary, ' +
          'array_agg(a.attname::text ORDER BY k.position) AS columns ' +
          'FROM pg_index i ' +
          'JOIN pg_class t ON t.oid = i.indrelid ' +
          'JOIN pg_namespace n ON n.oid = t.relnamespace ' +
          'CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ' +
          'JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ' +
          'WHERE n.nspname = current_schema() AND t.relname = $1 ' +
          'GROUP BY i.indexrelid, i.indisunique, i.indisprimary',
        [name],
      );

      return {
        name,
        columns: columns.map((column) => ({
          name: column.column_name,
          type: postgresType(column.data_type, column.character_maximum_length),
          nullable: column.is_nullable === 'YES',
          default: normalizeDefault(column.column_default),
        })),
        primaryKey: indexes.find((index) => index.primary)?.columns ?? [],
        indexes: indexes
          .filter((index) => !index.primary)
          .map((index) => ({ columns: index.columns, unique: index.unique })),
      };
    }),
  );
}

/** Maps an information_schema data_type to its name in CREATE TABLE, such as varchar(32). */
function postgresType(dataType: string, maxLength: number | null): string {
  if (dataType === 'character varying') {
    return maxLength === null ? 'varchar' : `varchar(${maxLength})`;
  }

  return dataType;
}
