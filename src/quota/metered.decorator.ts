import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';

import { ErrorResponseDto } from '../common/error-response.dto.js';
import { METERED_COST, QuotaInterceptor } from './quota.interceptor.js';

/**
 * Charges `cost` quota units for each successful call of the route. Failed calls (any 4xx or
 * 5xx) are not charged. Past the key's limit the route returns 429 with Retry-After.
 */
export function Metered(cost = 1): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(METERED_COST, cost),
    UseInterceptors(QuotaInterceptor),
    ApiTooManyRequestsResponse({
      description:
        "The key's request quota is spent, or this address failed authentication too often. Retry-After gives the " +
        'seconds to wait: until the quota window resets, or until the failure window ends.',
      type: ErrorResponseDto,
      headers: {
        'Retry-After': {
          description: 'Seconds to wait.',
          schema: { type: 'integer' },
        },
      },
    }),
  );
}
