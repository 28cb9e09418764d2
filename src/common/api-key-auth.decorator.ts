import { applyDecorators } from '@nestjs/common';
import { ApiSecurity, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

import { ErrorResponseDto } from './error-response.dto.js';

/** Name of the OpenAPI security scheme for API keys, declared in the Swagger set-up. */
export const API_KEY_SCHEME = 'api-key';

/**
 * Documents that a controller or route needs an API key: the OpenAPI security requirement, so
 * Swagger UI sends the key, and the 401 and 429 responses. The global ApiKeyGuard enforces it.
 */
export function ApiKeyAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiSecurity(API_KEY_SCHEME),
    ApiUnauthorizedResponse({
      description: 'The API key is missing, invalid, revoked or expired.',
      type: ErrorResponseDto,
    }),
    ApiTooManyRequestsResponse({
      description:
        'A limit was hit; `reason` says which. `burst`: the key sent more than BURST_LIMIT requests within ' +
        'BURST_WINDOW_MS. `auth-failures`: this address failed authentication too often. Retry-After and ' +
        '`retryAfter` give the seconds to wait.',
      type: ErrorResponseDto,
      headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } },
    }),
  );
}
