import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

import { AppModule } from './app.module.js';
import { BodyValidationPipe } from './common/body-validation.pipe.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { parseJsonBody, serializeJson } from './common/json-body.js';
import { Environment, loadEnvironment } from './config/environment.js';
import {
  createPino,
  logRequests,
  loggerServiceRequestSink,
  nestLoggerFor,
  pinoRequestSink,
} from './logging.js';
import { setUpSwagger } from './swagger.js';

/**
 * Creates the HTTP app with everything main.ts uses: Fastify, lossless JSON bodies, the global
 * validation pipe and exception filter, structured logs with one line per request, and Swagger.
 * The caller calls listen() and handles shutdown signals. `logger` replaces the pino logger, for
 * example to capture log lines in a test, and then receives the request lines too.
 */
export async function createApp(
  environment: Environment = loadEnvironment(),
  options: { logger?: LoggerService } = {},
): Promise<NestFastifyApplication> {
  const root = options.logger ? null : createPino(environment);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(environment),
    createAdapter(environment),
    { logger: options.logger ?? nestLoggerFor(root!) },
  );
  configureApp(app, environment);
  logRequests(app, root ? pinoRequestSink(root) : loggerServiceRequestSink(options.logger!));

  return app;
}

type TrustHops = (address: string, hop: number) => boolean;

export function createAdapter(environment: Environment): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: environment.BODY_LIMIT_BYTES,
    // Decides whether request.ip, the tracker of per-address limits, may come from X-Forwarded-For.
    trustProxy: trustProxyOption(environment.TRUST_PROXY),
  });
}

/** Fastify reads a hop count as "trust the first N proxies", which this function spells out. */
function trustProxyOption(setting: boolean | number | string): boolean | string | TrustHops {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

/** Applies the body parsers, the global pipe and filter, and Swagger to an app. */
export function configureApp(app: NestFastifyApplication, environment: Environment): void {
  registerJsonBodies(app, environment.BODY_LIMIT_BYTES);
  app.useGlobalPipes(new BodyValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter(environment.BODY_LIMIT_BYTES));
  setUpSwagger(app, environment);
}

/**
 * Parses JSON bodies without rounding big integers, and accepts an empty body as no body: clients
 * such as Python requests send `Content-Type: application/json` with nothing after it. A body
 * sent as a form (curl -d without -H) that starts like JSON is parsed as JSON.
 */
function registerJsonBodies(app: NestFastifyApplication, bodyLimit: number): void {
  app.useBodyParser('application/json', { bodyLimit }, (_request, body, done) => {
    done(null, parseJsonBody(body.toString('utf8')));
  });
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit }, (_request, body, done) => {
    const text = body.toString('utf8');
    const looksLikeJson = /^\s*[{[]/.test(text);
    done(null, looksLikeJson ? parseJsonBody(text) : Object.fromEntries(new URLSearchParams(text)));
  });
  app
    .getHttpAdapter()
    .getInstance()
    .setReplySerializer((payload) => serializeJson(payload));
}
