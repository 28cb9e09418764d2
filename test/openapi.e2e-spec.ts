import type { OpenAPIObject } from '@nestjs/swagger';

import { createApp } from '../src/app.factory.js';
import { validateEnvironment } from '../src/config/environment.js';
import { buildOpenApiDocument } from '../src/swagger.js';

interface Response {
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: { $ref?: string }; example?: unknown }>;
}

interface Operation {
  summary?: string;
  description?: string;
  security?: Record<string, unknown>[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, Response>;
}

const RATE_LIMIT_HEADERS = [
  'RateLimit',
  'RateLimit-Policy',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

/** Builds the document with the admin routes listed, as `npm run openapi` does. */
async function buildDocument(): Promise<OpenAPIObject> {
  const environment = validateEnvironment({
    DATABASE_PATH: ':memory:',
    ADMIN_TOKEN: 'openapi-test-admin-token-of-32-characters',
    LOG_LEVEL: 'fatal',
  });
  const app = await createApp(environment);
  await app.init();
  try {
    return buildOpenApiDocument(app, environment);
  } finally {
    await app.close();
  }
}

describe('OpenAPI document', () => {
  let operations: [string, Operation][];

  beforeAll(async () => {
    const document = await buildDocument();
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, Operation>).map(
        ([method, operation]): [string, Operation] => [
          `${method.toUpperCase()} ${path}`,
          operation,
        ],
      ),
    );
  });

  it('lists the documented routes', () => {
    const names = operations.map(([name]) => name);

    expect(names).toEqual(
      expect.arrayContaining(['POST /check-prime', 'GET /keys/self', 'POST /admin/keys']),
    );
  });

  it('gives every operation a summary and a description', () => {
    for (const [name, operation] of operations) {
      expect({ name, summary: Boolean(operation.summary) }).toEqual({ name, summary: true });
      expect({ name, description: Boolean(operation.description) }).toEqual({
        name,
        description: true,
      });
    }
  });

  it('documents success and error responses', () => {
    for (const [name, operation] of operations) {
      const statuses = Object.keys(operation.responses);

      expect({ name, success: statuses.some((status) => status.startsWith('2')) }).toEqual({
        name,
        success: true,
      });
      expect({ name, error: statuses.some((status) => Number(status) >= 400) }).toEqual({
        name,
        error: true,
      });
    }
  });

  it('documents 401 and 429 on every secured operation', () => {
    for (const [name, operation] of operations.filter(([, op]) => op.security?.length)) {
      const statuses = Object.keys(operation.responses);

      expect({ name, statuses }).toEqual({
        name,
        statuses: expect.arrayContaining(['401', '429']),
      });
    }
  });

  it('gives every error response the error body schema', () => {
    // NOTE: /health returns 503 with the Terminus health report, not the error body.
    for (const [name, operation] of operations.filter(([name]) => name !== 'GET /health')) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) {
          continue;
        }

        // ErrorResponseDto, or a subclass named after it that adds fields.
        const schema = response.content?.['application/json']?.schema?.$ref ?? '';
        expect({ name, status, schema }).toEqual({
          name,
          status,
          schema: expect.stringMatching(/^#\/components\/schemas\/\w*ErrorResponseDto$/),
        });
      }
    }
  });

  it('gives every response and request body a schema', () => {
    for (const [name, operation] of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const hasSchema = Boolean(response.content?.['application/json']?.schema);
        expect({ name, status, hasSchema }).toEqual({ name, status, hasSchema: true });
      }
      if (operation.requestBody) {
        const hasSchema = Boolean(operation.requestBody.content?.['application/json']?.schema);
        expect({ name, requestBody: hasSchema }).toEqual({ name, requestBody: true });
      }
    }
  });

  it('puts rate-limit headers on 200s of metered routes', () => {
    const metered = operations.filter(([, op]) => op.responses['429']?.headers?.RateLimit);
    expect(metered.map(([name]) => name)).toContain('POST /check-prime');

    for (const [name, operation] of metered) {
      const headers = Object.keys(operation.responses['200']?.headers ?? {});
      expect({ name, headers }).toEqual({
        name,
        headers: expect.arrayContaining(RATE_LIMIT_HEADERS),
      });
    }
  });
});
