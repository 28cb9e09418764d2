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

  @ApiProperty({ description: 'Metered requests left in the current window.', example: 3 })
  remaining!: number;

  @ApiProperty({
    description: 'End of the current window, ISO 8601 in UTC.',
    example: '2026-12-05T00:00:00.000Z',
  })
  resetsAt!: string;
}

export const KEY_STATUSES = ['active', 'expired', 'revoked'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

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
    description:
      'The public start of the key, pt_<issued>_<id>, which identifies it without the secret.',
    example: 'pt_1796416286_4fQz9LbT2mWx',
  })
  prefix!: string;

  @ApiProperty({ description: 'Whether the key works now.', enum: KEY_STATUSES, example: 'active' })
  status!: KeyStatus;

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
    description: 'Expiry time, ISO 8601 in UTC, or null when the key does not expire.',
    example: null,
    nullable: true,
    type: String,
  })
  expiresAt!: string | null;

  @ApiProperty({
    description:
      'Last successful use, ISO 8601 in UTC, recorded at most once a minute; null if never used.',
    example: '2026-12-04T21:40:00.000Z',
    nullable: true,
    type: String,
  })
  lastUsedAt!: string | null;

  @ApiProperty({
    description: 'Id of the key that replaced this one when it was rotated, or null.',
    example: null,
    nullable: true,
    type: String,
  })
  replacedBy!: string | null;

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
