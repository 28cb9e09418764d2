import { ApiProperty } from '@nestjs/swagger';

import { QUOTA_PERIODS } from '../config/environment.js';
import type { QuotaPeriod } from '../config/environment.js';

export class QuotaUsageDto {
  @ApiProperty({
    description: 'Length of the window, aligned to UTC.',
    enum: QUOTA_PERIODS,
    example: 'day',
  })
  period!: QuotaPeriod;

  @ApiProperty({ description: 'Metered requests allowed per window.', example: 5 })
  limit!: number;

  @ApiProperty({ description: 'Metered requests used in the current window.', example: 2 })
  used!: number;

  @ApiProperty({
    description: 'End of the current window, ISO 8601 in UTC.',
    example: '2026-12-05T00:00:00.000Z',
  })
  resetsAt!: string;
}

/** The non-secret fields of a key, as the CLI and the API show them. */
export class ApiKeySummaryDto {
  @ApiProperty({
    description: 'Public key id, also part of the key itself.',
    example: '4fQz9LbT2mWx',
  })
  id!: string;

  @ApiProperty({ description: 'Name given at creation.', example: 'alice' })
  name!: string;

  @ApiProperty({
    description: 'Creation time, ISO 8601 in UTC.',
    example: '2026-12-04T20:00:00.000Z',
  })
  createdAt!: string;

  @ApiProperty({
    description: 'Revocation time, ISO 8601 in UTC, or null while the key is active.',
    example: null,
    nullable: true,
    type: String,
  })
  revokedAt!: string | null;

  @ApiProperty({
    description: 'Quota windows that apply to the key. An empty list means unlimited.',
    type: [QuotaUsageDto],
  })
  quotas!: QuotaUsageDto[];
}

/** A newly minted key: the summary plus the key itself, which is shown only this once. */
export class CreatedApiKeyDto extends ApiKeySummaryDto {
  @ApiProperty({ description: 'The API key. It is not stored and cannot be shown again.' })
  key!: string;
}
