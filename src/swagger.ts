import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

import { API_KEY_SCHEME } from './common/api-key-auth.decorator.js';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
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
          'The API key, as printed by the server on first start or by `npm run cli -- keys create`.',
      },
      API_KEY_SCHEME,
    )
    .build();

  return SwaggerModule.createDocument(app, config);
}

/** Serves Swagger UI at /docs and the OpenAPI document at /docs-json, both without a key. */
export function setUpSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
