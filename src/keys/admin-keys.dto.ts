import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min, ValidateIf } from 'class-validator';

import { MAX_QUOTA_LIMIT, QUOTA_PERIODS } from '../config/environment.js';
import type { QuotaPeriod } from '../config/environment.js';

/**
 * Declares the limit of one quota window: an integer from 0 to MAX_QUOTA_LIMIT, or null for unlimited, with its
 * OpenAPI description. `absent` describes what happens when the field is left out.
 */
function WindowLimit(
  period: QuotaPeriod,
  absent: string,
  example: number | null,
): PropertyDecorator {
  const field = period === 'hour' ? 'hourlyLimit' : 'dailyLimit';
  const message = `${field} must be an integer from 0 to ${MAX_QUOTA_LIMIT}, or null for unlimited`;

  return applyDecorators(
    ApiPropertyOptional({
      description: `Metered requests allowed per UTC ${period}, or null for unlimited. ${absent}`,
      type: 'integer',
      minimum: 0,
      maximum: MAX_QUOTA_LIMIT,
      nullable: true,
      example,
    }),
    IsOptional(),
    IsInt({ message }),
    Min(0, { message }),
    Max(MAX_QUOTA_LIMIT, { message }),
  );
}

const LIMIT_MESSAGE = `limit must be an integer from 0 to ${MAX_QUOTA_LIMIT}`;

/** Skips the other validators only when the field is absent, so an explicit null is rejected. */
const IsPresent = (): PropertyDecorator => ValidateIf((_body, value) => value !== undefined);

export class CreateKeyRequestDto {
  /** Shown in the error for a body that is not a JSON object. */
  static readonly example = '{"name": "alice", "hourlyLimit": 100, "dailyLimit": 1000}';

  @ApiProperty({ description: 'Name of the key, 1 to 100 characters.', example: 'alice' })
  @IsString({ message: 'name must be a string of 1 to 100 characters' })
  @Length(1, 100, { message: 'name must be a string of 1 to 100 characters' })
  name!: string;

  @WindowLimit('hour', 'Default: QUOTA_HOURLY_LIMIT.', 100)
  hourlyLimit?: number | null;

  @WindowLimit('day', 'Default: QUOTA_DAILY_LIMIT.', 1000)
  dailyLimit?: number | null;

  @ApiPropertyOptional({
    description:
      'Short form for a single window: metered requests allowed per period, with no limit in the ' +
      'other window. Cannot be combined with hourlyLimit or dailyLimit.',
    type: 'integer',
    minimum: 0,
    maximum: MAX_QUOTA_LIMIT,
    example: 100,
  })
  @IsPresent()
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(0, { message: LIMIT_MESSAGE })
  @Max(MAX_QUOTA_LIMIT, { message: LIMIT_MESSAGE })
  limit?: number;

  @ApiPropertyOptional({
    description: 'Window of limit, aligned to UTC. Needs limit. Default: day.',
    enum: QUOTA_PERIODS,
  })
  @IsPresent()
  @IsIn(QUOTA_PERIODS, { message: `period must be one of: ${QUOTA_PERIODS.join(', ')}` })
  period?: QuotaPeriod;

  @ApiPropertyOptional({
    description:
      'When the key stops working: a duration such as 30d or 12h, or an ISO 8601 date. Default: never.',
    example: '30d',
  })
  @IsOptional()
  @IsString({ message: 'expires must be a string such as "30d" or "2027-01-31"' })
  expires?: string;
}

export class RotateKeyRequestDto {
  static readonly example = '{"grace": "1h"}';
  /** The body may be left out: the old key then stops at once. */
  static readonly bodyIsOptional = true;

  @ApiPropertyOptional({
    description:
      'How long the old key keeps working, such as 10m or 1d. Default: it stops at once.',
    example: '1h',
  })
  @IsOptional()
  @IsString({ message: 'grace must be a string such as "10m" or "1d"' })
  grace?: string;
}

/** New limits for an existing key. At least one field is required. */
export class UpdateKeyLimitsRequestDto {
  static readonly example = '{"hourlyLimit": 100, "dailyLimit": null}';

  @WindowLimit('hour', 'Absent: the hourly limit stays.', 100)
  hourlyLimit?: number | null;

  @WindowLimit('day', 'Absent: the daily limit stays.', null)
  dailyLimit?: number | null;
}
