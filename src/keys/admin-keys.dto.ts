import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Min } from 'class-validator';

import { QUOTA_PERIODS } from '../config/environment.js';
import type { QuotaPeriod } from '../config/environment.js';

export class CreateKeyRequestDto {
  /** Shown in the error for a body that is not a JSON object. */
  static readonly example = '{"name": "alice", "limit": 100, "period": "day"}';

  @ApiProperty({ description: 'Name of the key, 1 to 100 characters.', example: 'alice' })
  @IsString({ message: 'name must be a string of 1 to 100 characters' })
  @Length(1, 100, { message: 'name must be a string of 1 to 100 characters' })
  name!: string;

  @ApiPropertyOptional({
    description: 'Metered requests allowed per period. Default: QUOTA_LIMIT.',
    example: 100,
  })
  @IsOptional()
  @IsInt({ message: 'limit must be an integer of 0 or more' })
  @Min(0, { message: 'limit must be an integer of 0 or more' })
  limit?: number;

  @ApiPropertyOptional({
    description: 'Quota window, aligned to UTC. Default: QUOTA_PERIOD.',
    enum: QUOTA_PERIODS,
  })
  @IsOptional()
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
