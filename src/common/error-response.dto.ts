import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The body of every error response. */
export class ErrorResponseDto {
  @ApiProperty({ description: 'HTTP status code, repeated from the status line.', example: 400 })
  statusCode!: number;

  @ApiProperty({ description: 'HTTP reason phrase of the status.', example: 'Bad Request' })
  error!: string;

  @ApiProperty({
    description: 'What was wrong and what to do about it.',
    example:
      'number must be an integer, sent as a JSON number or a string of decimal digits; got 7.5',
  })
  message!: string;

  @ApiPropertyOptional({
    description: 'The request field at fault, when there is one.',
    example: 'number',
  })
  field?: string;

  @ApiPropertyOptional({
    description: 'On 429 only: which limit was hit.',
    enum: ['quota', 'burst', 'auth-failures'],
  })
  reason?: string;

  @ApiPropertyOptional({
    description: 'On 429 only: the window that was exceeded: hour, day, burst or auth-failures.',
  })
  window?: string;

  @ApiPropertyOptional({ description: 'On 429 only: the limit of that window.', type: 'integer' })
  limit?: number;

  @ApiPropertyOptional({
    description: 'On 429 only: the length of that window in seconds.',
    type: 'integer',
  })
  windowSeconds?: number;

  @ApiPropertyOptional({
    description: 'On 429 only: whole seconds until the window ends, as in Retry-After.',
    type: 'integer',
  })
  retryAfter?: number;
}
