import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';

import { ErrorResponseDto } from '../common/error-response.dto.js';
import { METERED_COST, MeteredCost, QuotaInterceptor } from './quota.interceptor.js';

/** OpenAPI docs of the rate-limit headers that every response of a metered route carries. */
export const RATE_LIMIT_HEADER_DOCS = {
  RateLimit: {
    description: 'The tightest window: `"<window>";r=<remaining>;t=<seconds to reset>`.',
    schema: { type: 'string' },
  },
  'RateLimit-Policy': {
    description:
      'Every limit of the key: `"<window>";q=<requests>;w=<window seconds>`, comma-separated.',
    schema: { type: 'string' },
  },
  'X-RateLimit-Limit': {
    description: 'Limit of the tightest window.',
    schema: { type: 'integer' },
  },
  'X-RateLimit-Remaining': { description: 'Requests left in it.', schema: { type: 'integer' } },
  'X-RateLimit-Reset': {
    description: 'When it resets, as a Unix time in seconds.',
    schema: { type: 'integer' },
  },
};

const HEADER_DOCS = {
  'Retry-After': {
    description: 'Whole seconds until the exceeded window ends.',
    schema: { type: 'integer' },
  },
  ...RATE_LIMIT_HEADER_DOCS,
};

/**
 * Charges `cost` quota units for each successful call of the route; the cost may be read from the
 * configuration. Failed calls (any 4xx or 5xx) are not charged. Past the key's limit the route
 * returns 429 with Retry-After, and every metered response carries the rate-limit headers.
 */
export function Metered(cost: MeteredCost = 1): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(METERED_COST, cost),
    UseInterceptors(QuotaInterceptor),
    ApiTooManyRequestsResponse({
      description:
        'A limit was hit; `reason` says which. `quota`: the hourly or daily quota of the key is used up. `burst`: ' +
        'the key sent more than BURST_LIMIT requests within BURST_WINDOW_MS. `auth-failures`: this address failed ' +
        'authentication too often. Retry-After and `retryAfter` give the seconds to wait.',
      type: ErrorResponseDto,
      headers: HEADER_DOCS,
    }),
  );
}
