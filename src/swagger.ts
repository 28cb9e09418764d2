import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

import { API_KEY_SCHEME } from './common/api-key-auth.decorator.js';
import { Environment } from './config/environment.js';
import { ADMIN_TOKEN_SCHEME } from './keys/admin-keys.controller.js';

export function buildOpenApiDocument(
  app: INestApplication,
  environment: Environment,
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('primetime')
    .setDescription(
      'The current time and exact primality tests for integers of any size, behind API keys with per-key quotas. ' +
        'Click Authorize and paste your key; it is sent as the Authorization header.',
    )
    .setVersion('0.1.0')
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description:
          'The API key, as printed by the server on first start or by `npm run cli -- keys create`. Clients may ' +
          'also send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.',
      },
      API_KEY_SCHEME,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque token',
        description: 'ADMIN_TOKEN from the server configuration, for /admin/keys.',
      },
      ADMIN_TOKEN_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  describeNumberLimit(document, environment.PRIME_MAX_BITS);
  if (!environment.ADMIN_TOKEN) {
    hideAdminRoutes(document);
  }

  return document;
}

/**
 * Writes this server's PRIME_MAX_BITS into the `number` schema of /check-prime, and drops the
 * schema of IntegerInput, the parsed form of `number` that the decorators add but clients never see.
 */
function describeNumberLimit(document: OpenAPIObject, maxBits: number): void {
  const schemas = document.components?.schemas ?? {};
  const body = schemas.CheckPrimeDto as
    { properties?: Record<string, Record<string, unknown>> } | undefined;
  const number = body?.properties?.number;
  if (!number) {
    return;
  }

  delete number.allOf;
  delete schemas.IntegerInput;
  const maxDigits = Math.ceil(maxBits * Math.log10(2));
  number.description = `${String(number.description)} This server accepts absolute values below 2^${maxBits} (PRIME_MAX_BITS); a larger number gets 413.`;
  number['x-max-bits'] = maxBits;
  const [, digitString] = (number.oneOf ?? []) as Record<string, unknown>[];
  if (digitString) {
    digitString.maxLength = maxDigits + 1;
  }
}

/** Removes the admin routes and their security scheme, which return 404 without ADMIN_TOKEN. */
function hideAdminRoutes(document: OpenAPIObject): void {
  for (const path of Object.keys(document.paths)) {
    if (path.startsWith('/admin/')) {
      delete document.paths[path];
    }
  }
  delete document.components?.securitySchemes?.[ADMIN_TOKEN_SCHEME];
  document.tags = document.tags?.filter((tag) => tag.name !== 'admin');
}

/** Serves Swagger UI at /docs and the OpenAPI document at /docs-json, both without a key. */
export function setUpSwagger(app: INestApplication, environment: Environment): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app, environment), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
