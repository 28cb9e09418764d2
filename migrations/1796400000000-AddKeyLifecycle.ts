import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** Adds key expiry, coarse last-use time and the id of the key that replaced a rotated one. */
export class AddKeyLifecycle1796400000000 implements MigrationInterface {
  name = 'AddKeyLifecycle1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('api_keys', [
      new TableColumn({ name: 'expires_at', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'last_used_at', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'replaced_by', type: 'varchar', length: '32', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('api_keys', ['replaced_by', 'last_used_at', 'expires_at']);
  }
}
