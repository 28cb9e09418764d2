import { ApiProperty } from '@nestjs/swagger';

export class CurrentTimeDto {
  @ApiProperty({
    description: "Server's local time, as YYYY-MM-DD HH:MM:SS.",
    example: '2026-12-04 21:30:05',
  })
  currentTime!: string;

  @ApiProperty({
    description: 'The same instant in ISO 8601 with the UTC offset.',
    example: '2026-12-04T21:30:05.123+01:00',
  })
  iso!: string;

  @ApiProperty({ description: "IANA name of the server's time zone.", example: 'Europe/Paris' })
  timeZone!: string;

  @ApiProperty({ description: 'The same instant in Unix milliseconds.', example: 1764880205123 })
  unixMs!: number;
}
