import { STATUS_CODES } from 'node:http';

import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

import { API_KEY_SCHEME } from './common/api-key-auth.decorator.js';
import { Environment } from './config/environment.js';
import { ADMIN_TOKEN_SCHEME } from './keys/admin-keys.controller.js';
import { RATE_LIMIT_HEADER_DOCS } from './quota/metered.decorator.js';

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
  addRateLimitHeadersToSuccesses(document);
  addErrorExamples(document);
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

/**
 * Documents the rate-limit headers on the 2xx responses of metered routes. @Metered() declares them
 * on the 429 only, because an ApiResponse decorator for 200 would replace the route's own 200 type.
 */
function addRateLimitHeadersToSuccesses(document: OpenAPIObject): void {
  type Response = { headers?: Record<string, unknown> };
  type Operation = { responses?: Record<string, Response> };
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem as Record<string, Operation>)) {
      const responses = operation.responses ?? {};
      if (!responses['429']?.headers?.RateLimit) {
        continue;
      }

      for (const [status, response] of Object.entries(responses)) {
        if (status.startsWith('2')) {
          response.headers = { ...RATE_LIMIT_HEADER_DOCS, ...response.headers };
        }
      }
    }
  }
}

const QUOTA_429 = {
  message:
    'Request limit exceeded: the daily quota of 5 requests is used up. Retry in 3945 seconds, when the window resets.',
  reason: 'quota',
  window: 'day',
  limit: 5,
  windowSeconds: 86400,
  retryAfter: 3945,
};
const BURST_429 = {
  message:
    'Too many requests in a short time: the burst limit is 20 requests per 1 s for each key. Retry in 1 second.',
  reason: 'burst',
  window: 'burst',
  limit: 20,
  windowSeconds: 1,
  retryAfter: 1,
};
const AUTH_FAILURES_429 = {
  message:
    'Too many failed authentication attempts from this address: the limit is 10 per 60 s. Retry in 42 seconds.',
  reason: 'auth-failures',
  window: 'auth-failures',
  limit: 10,
  windowSeconds: 60,
  retryAfter: 42,
};

/**
 * Returns the fields of an example error body for a status on a route, or none when the
 * response's description serves as the message.
 */
function errorExample(
  path: string,
  status: string,
  responses: Record<string, { headers?: Record<string, unknown> }>,
): Record<string, unknown> {
  const admin = path.startsWith('/admin/');
  switch (status) {
    case '401':
      return {
        message: admin
          ? 'Missing admin token. Send it as "Authorization: Bearer <token>" or "X-Admin-Token: <token>".'
          : 'Missing API key. Send it as "Authorization: <key>", "Authorization: Bearer <key>" or "X-API-Key: <key>".',
      };
    case '413':
      return { message: 'Request body is larger than the limit of 16384 bytes.', field: 'body' };
    case '429':
      if (admin) {
        return AUTH_FAILURES_429;
      }

      return responses['429']?.headers?.RateLimit ? QUOTA_429 : BURST_429;
    case '503':
      return {
        message:
          'The primality test did not finish within the time limit of 10000 ms. Retry later.',
        field: 'number',
      };
    default:
      return {};
  }
}

/**
 * Gives each error response that uses ErrorResponseDto an example of its own status. Without it,
 * every error shows the DTO's property examples, which describe a 400. A 400 keeps those.
 */
function addErrorExamples(document: OpenAPIObject): void {
  type Media = { schema?: { $ref?: string }; example?: unknown; examples?: unknown };
  type Response = {
    description?: string;
    content?: Record<string, Media>;
    headers?: Record<string, unknown>;
  };
  type Operation = { responses?: Record<string, Response> };
  for (const [path, pathItem] of Object.entries(document.paths)) {
    for (const operation of Object.values(pathItem as Record<string, Operation>)) {
      const responses = operation.responses ?? {};
      for (const [status, response] of Object.entries(responses)) {
        const media = response.content?.['application/json'];
        const usesErrorBody = media?.schema?.$ref?.endsWith('/ErrorResponseDto') ?? false;
        if (!media || !usesErrorBody || status === '400' || media.example || media.examples) {
          continue;
        }

        media.example = {
          statusCode: Number(status),
          error: STATUS_CODES[Number(status)] ?? 'Error',
          message: response.description ?? '',
          ...errorExample(path, status, responses),
        };
      }
    }
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

/**
 * Swagger UI plugin that keeps every digit of big integers in response bodies. Swagger UI pretty-prints
 * a JSON body with JSON.parse, which rounds a bare number above 2^53 (the /check-prime echo of
 * 9007199254740997 would read 9007199254740996). When a body has such a number, this plugin indents
 * the text itself and hands it on as text/plain, so Swagger UI shows it unparsed.
 *
 * Swagger UI runs this function in the browser from its source text, so it must not use anything
 * outside its own body.
 */
function keepBigIntegerDigits(): object {
  const indentJson = (text: string): string => {
    let output = '';
    let depth = 0;
    let inString = false;
    const newline = (): string => `\n${'  '.repeat(depth)}`;
    for (let index = 0; index < text.length; index += 1) {
      const char = text[index];
      if (inString) {
        output += char;
        if (char === '\\') {
          index += 1;
          output += text[index] ?? '';
        } else if (char === '"') {
          inString = false;
        }
      } else if (char === '"') {
        inString = true;
        output += char;
      } else if (char === '{' || char === '[') {
        depth += 1;
        output += char + newline();
      } else if (char === '}' || char === ']') {
        depth -= 1;
        output = output.replace(/\n *$/, '') + newline() + char;
      } else if (char === ',') {
        output += char + newline();
      } else if (char === ':') {
        output += ': ';
      } else if (!/\s/.test(char)) {
        output += char;
      }
    }
    return output.replace(/([{[])\n *([}\]])/g, '$1$2');
  };

  const hasUnsafeInteger = (text: string): boolean => {
    const withoutStrings = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    const integers = withoutStrings.match(/-?\d{16,}(?![.eE\d])/g) ?? [];
    return integers.some((digits) => !Number.isSafeInteger(Number(digits)));
  };

  type Props = { content?: unknown; contentType?: string };
  type System = { React: { createElement(type: unknown, props: object): unknown } };

  return {
    wrapComponents: {
      responseBody:
        (Original: unknown, system: System) =>
        (props: Props): unknown => {
          const { content, contentType } = props;
          const isBigJson =
            typeof content === 'string' &&
            /json/i.test(contentType ?? '') &&
            hasUnsafeInteger(content);
          return system.React.createElement(
            Original,
            isBigJson
              ? { ...props, content: indentJson(content), contentType: 'text/plain' }
              : props,
          );
        },
    },
  };
}

/** Swagger UI's default plugin, which the `plugins` option would otherwise replace. */
function downloadUrl(system: unknown): unknown {
  type Plugin = (system: unknown) => unknown;
  const bundle = (globalThis as unknown as Record<string, { plugins: Record<string, Plugin> }>)
    .SwaggerUIBundle;
  return bundle.plugins.DownloadUrl(system);
}

/** Serves Swagger UI at /docs and the OpenAPI document at /docs-json, both without a key. */
export function setUpSwagger(app: INestApplication, environment: Environment): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app, environment), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: {
      persistAuthorization: true,
      plugins: [downloadUrl, keepBigIntegerDigits],
    },
  });
}
