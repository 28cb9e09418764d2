import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';

import { ApiKeyAuth } from '../common/api-key-auth.decorator.js';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import { Metered } from '../quota/metered.decorator.js';
import { BIG_PRIME_EXAMPLE, CheckPrimeDto, SAFE_PRIME_EXAMPLE } from './check-prime.dto.js';
import { CheckPrimeResponseDto } from './check-prime-response.dto.js';
import { PrimeService } from './prime.service.js';

@ApiTags('prime')
@ApiKeyAuth()
@Controller()
export class PrimeController {
  constructor(private readonly prime: PrimeService) {}

  @Post('check-prime')
  @HttpCode(HttpStatus.OK)
  @Metered(1)
  @ApiOperation({
    summary: 'Test whether an integer is prime',
    description:
      'Proven below 3,317,044,064,679,887,385,961,981 (trial division, then Miller-Rabin with the first 13 primes ' +
      'as bases). Above it, GMP runs Baillie-PSW and one Miller-Rabin round with a random base (`probable_prime`); ' +
      'no composite is known to pass Baillie-PSW. A composite comes with a witness. Each successful call uses one ' +
      'unit of the key quota; failed calls use none.',
  })
  @ApiBody({
    type: CheckPrimeDto,
    examples: {
      bareNumber: { summary: 'Bare JSON number', value: { number: SAFE_PRIME_EXAMPLE } },
      digitString: {
        summary: 'String of decimal digits (2^127-1)',
        value: { number: BIG_PRIME_EXAMPLE },
      },
      composite: {
        summary: 'A composite',
        value: { number: '172983479832623897492387592384682937659382477' },
      },
    },
  })
  @ApiOkResponse({
    description:
      'The verdict, with the number echoed exactly as sent. A bare number above 2^53 comes back as a bare number with ' +
      'every digit; a client that parses JSON into doubles should send and read it as a string.',
    examples: {
      prime: {
        summary: 'A prime',
        value: {
          number: '9007199254740997',
          isPrime: true,
          result: 'prime',
          method: 'miller_rabin_fixed_bases',
          bits: 54,
          digits: 16,
        },
      },
      composite: {
        summary: 'A composite, with a witness',
        value: {
          number: '3215031751',
          isPrime: false,
          result: 'composite',
          method: 'trial_division',
          witness: { type: 'factor', value: '151' },
          bits: 32,
          digits: 10,
        },
      },
    },
    type: CheckPrimeResponseDto,
  })
  @ApiBadRequestResponse({
    description: 'The body or `number` is missing or not an integer.',
    type: ErrorResponseDto,
  })
  @ApiPayloadTooLargeResponse({
    description:
      'The number has more bits than PRIME_MAX_BITS, or the body is over BODY_LIMIT_BYTES.',
    type: ErrorResponseDto,
  })
  @ApiServiceUnavailableResponse({
    description:
      'A large test did not finish within PRIME_TIMEOUT_MS, or too many are waiting. Not charged.',
    type: ErrorResponseDto,
    headers: {
      'Retry-After': {
        description: 'Seconds to wait before retrying.',
        schema: { type: 'integer' },
      },
    },
  })
  check(@Body() body: CheckPrimeDto): Promise<CheckPrimeResponseDto> {
    return this.prime.check(body.number);
  }
}
