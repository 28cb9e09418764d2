import type { DataSource } from 'typeorm';

import { SqlRunner } from './sql-runner.js';

/** Builds a data source on the PostgreSQL driver whose pool records the statements it is given. */
function postgresDataSource(sent: unknown[]): DataSource {
  const pool = {
    query: (config: unknown) => {
      sent.push(config);
      return Promise.resolve({ rows: [{ id: 'abc' }] });
    },
  };

  return { options: { type: 'postgres' }, driver: { master: pool } } as unknown as DataSource;
}

describe(SqlRunner.name, () => {
  describe('on PostgreSQL', () => {
    it('sends named parameters as numbered placeholders', async () => {
      const sent: unknown[] = [];
      const sut = new SqlRunner(postgresDataSource(sent));

      const rows = await sut.rows('SELECT * FROM t WHERE a = :a AND b >= :b AND c = :a', {
        b: 2,
        a: 'x',
      });

      expect(rows).toEqual([{ id: 'abc' }]);
      expect(sent).toEqual([
        {
          name: 'primetime_1',
          text: 'SELECT * FROM t WHERE a = $1 AND b >= $2 AND c = $1',
          values: ['x', 2],
        },
      ]);
    });

    it('leaves PostgreSQL casts alone', async () => {
      const sent: { text: string; values: unknown[] }[] = [];
      const sut = new SqlRunner(postgresDataSource(sent));

      await sut.rows('SELECT :n::bigint AS n', { n: 5 });

      expect(sent[0].text).toBe('SELECT $1::bigint AS n');
      expect(sent[0].values).toEqual([5]);
    });

    it('names each SQL text once', async () => {
      const sent: { name: string }[] = [];
      const sut = new SqlRunner(postgresDataSource(sent));

      await sut.rows('SELECT :a', { a: 1 });
      await sut.rows('SELECT :b', { b: 1 });
      await sut.rows('SELECT :a', { a: 2 });

      expect(sent.map((config) => config.name)).toEqual([
        'primetime_1',
        'primetime_2',
        'primetime_1',
      ]);
    });

    it('has no write batches', () => {
      const sut = new SqlRunner(postgresDataSource([]));

      expect(sut.batchesWrites).toBe(false);
    });
  });
});
