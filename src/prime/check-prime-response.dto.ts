import { ApiProperty } from '@nestjs/swagger';
import { LosslessNumber } from 'lossless-json';

import { BIG_PRIME_EXAMPLE } from './check-prime.dto.js';

export class CheckPrimeResponseDto {
  @ApiProperty({
    description:
      'The number as sent, with every digit and in the same JSON form: a bare number stays a number, a string stays a string.',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    example: BIG_PRIME_EXAMPLE,
  })
  number!: LosslessNumber | string;

  @ApiProperty({ description: 'Whether the number is prime.', example: true })
  isPrime!: boolean;
}
