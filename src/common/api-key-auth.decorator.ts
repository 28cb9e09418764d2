import { applyDecorators } from '@nestjs/common';
import { ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';

import { ErrorResponseDto } from './error-response.dto.js';

/** Name of the OpenAPI security scheme for API keys, declared in the Swagger set-up. */
export const API_KEY_SCHEME = 'api-key';

/**
 * Documents that a controller or route needs an API key: the OpenAPI security requirement, so
 * Swagger UI sends the key, and the 401 response. The global ApiKeyGuard enforces it.
 */
export function ApiKeyAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiSecurity(API_KEY_SCHEME),
    ApiUnauthorizedResponse({
      description: 'The API key is missing, invalid or revoked.',
      type: ErrorResponseDto,
    }),
  );
}
