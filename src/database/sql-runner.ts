import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Database, Statement } from 'better-sqlite3';
import { DataSource } from 'typeorm';

export type SqlRow = Record<string, unknown>;
export type SqlParameters = Record<string, unknown>;

/** The part of pg's Pool that SqlRunner uses (TypeORM keeps it as the driver's `master`). */
interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: SqlRow[] }>;
}

/** A statement in PostgreSQL's form: `$1` placeholders, and the parameter name of each. */
interface PgStatement {
  name: string;
  text: string;
  parameters: string[];
}

/**
 * Runs portable SQL with `:name` parameters on the app's data source, for the statements on the
 * request path. TypeORM's query runner costs several times the statement itself, so SqlRunner
 * calls the drivers directly: better-sqlite3 with a prepared statement kept per SQL text, and
 * pg's pool with a named prepared statement per SQL text. Those are the two engines that
 * data-source-options.ts configures.
 */
@Injectable()
export class SqlRunner {
  private readonly statements = new Map<string, Statement>();
  private readonly pgStatements = new Map<string, PgStatement>();
  private readonly sqlite: Database | null;
  private readonly pgPool: PgPool | null;

  constructor(@InjectDataSource() dataSource: DataSource) {
    const { type } = dataSource.options;
    if (type !== 'better-sqlite3' && type !== 'postgres') {
      throw new Error(`SqlRunner supports better-sqlite3 and postgres, not ${type}`);
    }

    this.sqlite =
      type === 'better-sqlite3'
        ? (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection
        : null;
    this.pgPool =
      type === 'postgres' ? (dataSource.driver as unknown as { master: PgPool }).master : null;
  }

  /** Runs a statement that returns rows (a SELECT, or a write with RETURNING). */
  async rows(sql: string, parameters: SqlParameters): Promise<SqlRow[]> {
    if (this.sqlite) {
      return this.prepared(this.sqlite, sql).all(parameters) as SqlRow[];
    }

    const statement = this.pgStatement(sql);
    const values = statement.parameters.map((name) => parameters[name]);
    const result = await this.pgPool!.query({
      name: statement.name,
      text: statement.text,
      values,
    });
    return result.rows;
  }

  /** Whether `writeBatch` is available: on SQLite, where statements run synchronously. */
  get batchesWrites(): boolean {
    return this.sqlite !== null;
  }

  /**
   * Runs writes that return rows (UPDATE ... RETURNING) in one IMMEDIATE transaction, so they
   * share one commit, which costs more than a statement. Each statement still decides alone and
   * atomically. Returns each statement's rows, or the error of a statement that failed, without
   * undoing the others. Throws when the transaction cannot begin or commit: then none took effect.
   * SQLite only (see `batchesWrites`).
   */
  writeBatch(writes: { sql: string; parameters: SqlParameters }[]): (SqlRow[] | Error)[] {
    const database = this.sqlite;
    if (!database) {
      throw new Error('writeBatch needs SQLite; check batchesWrites first');
    }

    return database
      .transaction(() =>
        writes.map((write) => {
          try {
            return this.prepared(database, write.sql).all(write.parameters) as SqlRow[];
          } catch (error) {
            return error instanceof Error ? error : new Error(String(error));
          }
        }),
      )
      .immediate();
  }

  /** Rewrites `:name` parameters as `$1`, `$2`, ... once per SQL text. */
  private pgStatement(sql: string): PgStatement {
    let statement = this.pgStatements.get(sql);
    if (!statement) {
      const parameters: string[] = [];
      const text = sql.replace(/(?<!:):([A-Za-z_]\w*)/g, (_match, name: string) => {
        const index = parameters.indexOf(name);
        if (index >= 0) {
          return `$${index + 1}`;
        }

        parameters.push(name);
        return `$${parameters.length}`;
      });
      statement = { name: `primetime_${this.pgStatements.size + 1}`, text, parameters };
      this.pgStatements.set(sql, statement);
    }

    return statement;
  }

  private prepared(database: Database, sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = database.prepare(sql);
      this.statements.set(sql, statement);
    }

    return statement;
  }
}
