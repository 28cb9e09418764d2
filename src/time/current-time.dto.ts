import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { ErrorResponseDto } from '../common/error-response.dto.js';

/** The optional POST body of /get-current-time. Any other field, or any other body, is ignored. */
export class CurrentTimeRequestDto {
  @ApiPropertyOptional({
    description:
      'IANA time zone name, matched case-insensitively; aliases such as US/Eastern work too. An empty string ' +
      "or null means the server's zone. May be sent in the query string instead.",
    example: 'Europe/Paris',
  })
  timezone?: string;
}

export class CurrentTimeDto {
  @ApiProperty({
    description:
      "Local time in the requested zone, or in the server's zone when none is given, as YYYY-MM-DD HH:MM:SS.",
    example: '2026-12-04 22:30:05',
  })
  currentTime!: string;

  @ApiProperty({
    description: 'The same instant in ISO 8601: local date and time with the UTC offset.',
    example: '2026-12-04T22:30:05.123+01:00',
  })
  iso!: string;

  @ApiProperty({
    description: 'The same instant in ISO 8601 in UTC.',
    example: '2026-12-04T21:30:05.123Z',
  })
  utc!: string;

  @ApiProperty({
    description:
      "IANA name of the zone as the server's time-zone database names it: an alias comes back as the name it " +
      'resolves to, such as America/New_York for US/Eastern.',
    example: 'Europe/Paris',
  })
  timeZone!: string;

  @ApiProperty({
    description:
      'Abbreviation of the zone at this instant, such as CET, CEST or EST. Zones without a common English ' +
      'abbreviation get their offset in the form GMT+9.',
    example: 'CET',
  })
  abbreviation!: string;

  @ApiProperty({
    description: 'Offset of the zone from UTC at this instant, as +HH:MM or -HH:MM.',
    example: '+01:00',
  })
  utcOffset!: string;

  @ApiProperty({
    description:
      "Whether daylight-saving time is in effect: the offset is larger than the zone's standard offset, taken as " +
      'the smaller of its offsets on 1 January and 1 July of the year.',
    example: false,
  })
  dst!: boolean;

  @ApiProperty({ description: 'The same instant in whole Unix seconds.', example: 1796419805 })
  unixSeconds!: number;

  @ApiProperty({ description: 'The same instant in Unix milliseconds.', example: 1796419805123 })
  unixMs!: number;

  @ApiProperty({
    description:
      'Version of the IANA time-zone database that the server uses (process.versions.tz).',
    example: '2025c',
  })
  tzdataVersion!: string;
}

/**
 * The body of a 400 for an unknown time zone name. Other 400s of the route carry no `value` or
 * `suggestions`.
 */
export class TimeZoneErrorResponseDto extends ErrorResponseDto {
  @ApiPropertyOptional({
    description: 'The name that was sent, cut to 100 characters, when it is not a known zone.',
    example: 'Europe/Pari',
  })
  value?: string;

  @ApiPropertyOptional({
    description:
      'Up to 3 known names closest to `value` by edit distance, closest first; may be empty.',
    example: ['Europe/Paris'],
    type: [String],
  })
  suggestions?: string[];
}
