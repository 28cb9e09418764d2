import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { DataSource } from 'typeorm';

/** Reports down when the database has a migration that was not applied, or cannot be read. */
@Injectable()
export class MigrationsHealthIndicator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async isUpToDate<Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.indicators.check(key);
    try {
      // showMigrations() returns true when at least one migration is pending.
      const pending = await this.dataSource.showMigrations();

      return pending
        ? indicator.down({ message: 'Migrations are pending. Run: npm run migration:run' })
        : indicator.up();
    } catch (error) {
      return indicator.down({
        message: `Failed to read the applied migrations: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
}
