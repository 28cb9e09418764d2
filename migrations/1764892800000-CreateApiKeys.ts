import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Creates the api_keys table: key hashes, names, revocation and per-key quota counters. */
export class CreateApiKeys1764892800000 implements MigrationInterface {
  name = 'CreateApiKeys1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'key_hash', type: 'varchar', length: '100' },
          { name: 'created_at', type: 'bigint' },
          { name: 'revoked_at', type: 'bigint', isNullable: true },
          { name: 'hourly_limit', type: 'integer', isNullable: true },
          { name: 'hourly_used', type: 'integer', default: 0 },
          { name: 'hourly_window_start', type: 'bigint', default: 0 },
          { name: 'daily_limit', type: 'integer', isNullable: true },
          { name: 'daily_used', type: 'integer', default: 0 },
          { name: 'daily_window_start', type: 'bigint', default: 0 },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('api_keys');
  }
}
