import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoNestLogger, PinoLogger } from 'nestjs-pino';
import { pino } from 'pino';
import type { Level, Logger as Pino } from 'pino';

import { requestKey } from './common/api-key.guard.js';
import type { Environment, LogLevelName } from './config/environment.js';

/** Pino's name for each LOG_LEVEL value, which uses Nest's names. */
const PINO_LEVELS: Record<LogLevelName, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Fields of the one log line written per request. */
export interface RequestLogFields {
  reqId: string;
  method: string;
  route: string | null;
  statusCode: number;
  responseTimeMs: number;
  keyId: string | null;
}

/**
 * Creates the root pino logger: JSON lines on stdout, or pino-pretty output when stdout is a
 * terminal. Credentials are removed from any request headers that reach a log line.
 */
export function createPino(environment: Environment): Pino {
  return pino({
    level: PINO_LEVELS[environment.LOG_LEVEL],
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization'],
      remove: true,
    },
    transport: process.stdout.isTTY ? { target: 'pino-pretty' } : undefined,
  });
}

/** Wraps a pino logger in nestjs-pino's LoggerService, so Nest's own log lines are pino lines. */
export function nestLoggerFor(root: Pino): LoggerService {
  return new PinoNestLogger(new PinoLogger({ pinoHttp: { logger: root } }), {});
}

/**
 * Writes one line per finished request, after the guards ran, so the line has the verified key
 * id. The key itself and the request headers are never part of it. Without a sink (a level
 * above info) no hook is added, so requests pay nothing for logging.
 */
export function logRequests(
  app: NestFastifyApplication,
  sink: ((fields: RequestLogFields) => void) | null,
): void {
  if (!sink) {
    return;
  }

  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      sink({
        reqId: request.id,
        method: request.method,
        route: request.routeOptions.url ?? null,
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
        keyId: requestKey(request)?.id ?? null,
      });
      done();
    });
}

/** Sends request lines to pino at info level, or returns null when that level is off. */
export function pinoRequestSink(root: Pino): ((fields: RequestLogFields) => void) | null {
  return root.isLevelEnabled('info') ? (fields) => root.info(fields, 'request completed') : null;
}

/** Sends request lines to a Nest LoggerService, such as the capturing logger of a test. */
export function loggerServiceRequestSink(
  logger: LoggerService,
): (fields: RequestLogFields) => void {
  return (fields) => {
    logger.log({ msg: 'request completed', ...fields }, 'HttpRequest');
  };
}
