import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Database, Statement } from 'better-sqlite3';
import { DataSource } from 'typeorm';

export type SqlRow = Record<string, unknown>;
export type SqlParameters = Record<string, unknown>;

/**
 * Runs portable SQL with `:name` parameters on the app's data source, for the statements on the
 * request path. On SQLite it calls better-sqlite3 directly with a prepared statement kept per SQL
 * text: TypeORM's query runner costs several times the statement itself there. Other drivers go
 * through TypeORM, which turns the parameters into their placeholders.
 */
@Injectable()
export class SqlRunner {
  private readonly statements = new Map<string, Statement>();
  private readonly sqlite: Database | null;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.sqlite =
      dataSource.options.type === 'better-sqlite3'
        ? (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection
        : null;
  }

  /** Runs a statement that returns rows (a SELECT, or a write with RETURNING). */
  async rows(sql: string, parameters: SqlParameters): Promise<SqlRow[]> {
    if (this.sqlite) {
      return this.prepared(this.sqlite, sql).all(parameters) as SqlRow[];
    }

    const [query, values] = this.dataSource.driver.escapeQueryWithParameters(sql, parameters);
    const runner = this.dataSource.createQueryRunner();
    try {
      // The structured result has the rows of an UPDATE ... RETURNING in `records` on every driver.
      const result = await runner.query(query, values, true);
      return (result.records ?? []) as SqlRow[];
    } finally {
      await runner.release();
    }
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

  private prepared(database: Database, sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = database.prepare(sql);
      this.statements.set(sql, statement);
    }

    return statement;
  }
}
