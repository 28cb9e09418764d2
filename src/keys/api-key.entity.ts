import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';

/** Reads BIGINT columns as numbers: the PostgreSQL driver returns them as strings. */
const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/**
 * One API key. The key itself is never stored, only its bcrypt hash. All times are Unix
 * milliseconds. A null limit means unlimited. Usage counts belong to the window that starts at
 * the matching `*WindowStart` time, so a row whose window has ended counts as unused.
 */
@Entity({ name: 'api_keys' })
export class ApiKey {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ name: 'key_hash', type: 'varchar', length: 100 })
  keyHash!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: bigintAsNumber })
  createdAt!: number;

  @Column({ name: 'revoked_at', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  revokedAt!: number | null;

  @Column({ name: 'expires_at', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  expiresAt!: number | null;

  /** Updated at most once a minute per key and process, so it costs no write per request. */
  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  lastUsedAt!: number | null;

  /** Id of the key that replaced this one when it was rotated. */
  @Column({ name: 'replaced_by', type: 'varchar', length: 32, nullable: true })
  replacedBy!: string | null;

  @Column({ name: 'hourly_limit', type: 'integer', nullable: true })
  hourlyLimit!: number | null;

  @Column({ name: 'hourly_used', type: 'integer', default: 0 })
  hourlyUsed!: number;

  @Column({ name: 'hourly_window_start', type: 'bigint', default: 0, transformer: bigintAsNumber })
  hourlyWindowStart!: number;

  @Column({ name: 'daily_limit', type: 'integer', nullable: true })
  dailyLimit!: number | null;

  @Column({ name: 'daily_used', type: 'integer', default: 0 })
  dailyUsed!: number;

  @Column({ name: 'daily_window_start', type: 'bigint', default: 0, transformer: bigintAsNumber })
  dailyWindowStart!: number;
}
