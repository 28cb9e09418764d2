import { Controller, Get, UseFilters } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { HealthCheckResult } from '@nestjs/terminus';

import { Public } from '../common/api-key.guard.js';
import { HealthCheckFailureFilter } from './health-check-failure.filter.js';
import { MigrationsHealthIndicator } from './migrations.health.js';

const HEALTHY_EXAMPLE = {
  status: 'ok',
  info: { database: { status: 'up', responseTime: 2 }, migrations: { status: 'up' } },
  error: {},
  details: { database: { status: 'up', responseTime: 2 }, migrations: { status: 'up' } },
};

const UNHEALTHY_EXAMPLE = {
  status: 'error',
  info: { database: { status: 'up', responseTime: 2 } },
  error: {
    migrations: { status: 'down', message: 'Migrations are pending. Run: npm run migration:run' },
  },
  details: {
    database: { status: 'up', responseTime: 2 },
    migrations: { status: 'down', message: 'Migrations are pending. Run: npm run migration:run' },
  },
};

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly migrations: MigrationsHealthIndicator,
  ) {}

  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @UseFilters(HealthCheckFailureFilter)
  @ApiOperation({
    summary: 'Check that the server can serve requests',
    description:
      'Pings the database and checks that every migration is applied. Needs no API key, is not ' +
      'metered and not rate limited, so a load balancer or orchestrator can poll it.',
  })
  @ApiOkResponse({ description: 'Every check is up.', schema: { example: HEALTHY_EXAMPLE } })
  @ApiServiceUnavailableResponse({
    description: 'At least one check is down; `error` names it and gives the reason.',
    schema: { example: UNHEALTHY_EXAMPLE },
  })
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.pingCheck('database'),
      () => this.migrations.isUpToDate('migrations'),
    ]);
  }
}
