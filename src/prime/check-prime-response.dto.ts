import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LosslessNumber } from 'lossless-json';

import { SAFE_PRIME_EXAMPLE } from './check-prime.dto.js';
import {
  PRIMALITY_METHODS,
  PRIMALITY_RESULTS,
  type PrimalityMethod,
  type PrimalityResult,
  WITNESS_TYPES,
} from './primality.js';

export class WitnessDto {
  @ApiProperty({
    description:
      '`factor`: a prime factor found by trial division (check that it divides the number). `miller_rabin_base`: ' +
      'a base a for which the number fails the strong probable-prime test: with n - 1 = d * 2^s and d odd, ' +
      'a^d mod n is neither 1 nor n - 1, and no a^(d * 2^r) mod n for 0 < r < s is n - 1.',
    enum: WITNESS_TYPES,
    example: 'miller_rabin_base',
  })
  type!: (typeof WITNESS_TYPES)[number];

  @ApiProperty({
    description: 'The factor or the base, as a string of decimal digits.',
    example: '2',
  })
  value!: string;
}

export class CheckPrimeResponseDto {
  @ApiProperty({
    description:
      'The number as sent, with every digit and in the same JSON form: a bare number stays a number, a string stays a string.',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    example: SAFE_PRIME_EXAMPLE,
  })
  number!: LosslessNumber | string;

  @ApiProperty({ description: 'true when `result` is `prime` or `probable_prime`.', example: true })
  isPrime!: boolean;

  @ApiProperty({
    description:
      '`prime`: proven prime (every input below 3,317,044,064,679,887,385,961,981). `probable_prime`: passed ' +
      'Baillie-PSW and a Miller-Rabin round with a random base; no composite is known to pass Baillie-PSW. ' +
      '`composite`: proven composite, with a `witness`. `neither`: below 2, so neither prime nor composite.',
    enum: PRIMALITY_RESULTS,
    example: 'prime',
  })
  result!: PrimalityResult;

  @ApiProperty({
    description:
      'What decided the result: `definition` (below 2), `trial_division` (primes below 1000), ' +
      '`miller_rabin_fixed_bases` (the first 13 primes as bases, exact below the bound), ' +
      '`baillie_psw_random_miller_rabin` (GMP), or `openssl_miller_rabin` (when the server runs with PRIME_ENGINE=openssl).',
    enum: PRIMALITY_METHODS,
    example: 'miller_rabin_fixed_bases',
  })
  method!: PrimalityMethod;

  @ApiPropertyOptional({
    description: 'Evidence for a composite result; absent otherwise.',
    type: WitnessDto,
  })
  witness?: WitnessDto;

  @ApiProperty({ description: 'Bit length of the absolute value (0 for 0).', example: 54 })
  bits!: number;

  @ApiProperty({
    description: 'Decimal digits of the absolute value, without leading zeros.',
    example: 16,
  })
  digits!: number;
}
