import { STATUS_CODES } from 'node:http';

import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

import { ApiException, ErrorBody } from './api-exception.js';

/**
 * Renders every error as `{ statusCode, error, message, field? }`. HttpExceptions keep their
 * status and message. The 4xx errors that Fastify raises before routing (body too large,
 * unsupported media type) get a clearer message. Any other error is a 500: its details are
 * logged and not sent.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  constructor(private readonly bodyLimitBytes: number) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { body, headers } = this.render(exception);
    if (reply.sent) {
      return;
    }

    void reply
      .status(body.statusCode)
      .headers(headers ?? {})
      .type('application/json; charset=utf-8')
      .send(body);
  }

  private render(exception: unknown): { body: ErrorBody; headers?: Record<string, string> } {
    if (!(exception instanceof HttpException)) {
      this.logger.error(
        'Unhandled error',
        exception instanceof Error ? exception.stack : String(exception),
      );
      return {
        body: {
          statusCode: 500,
          error: reasonPhrase(500),
          message: 'Internal server error. The error was logged.',
        },
      };
    }

    const status = exception.getStatus();
    const fastifyCode = fastifyErrorCode(exception.cause);
    if (fastifyCode) {
      return { body: this.renderFastifyError(status, fastifyCode, exception.message) };
    }

    const response = exception.getResponse();
    const message =
      typeof response === 'string' ? response : (messageOf(response) ?? exception.message);
    const details = exception instanceof ApiException ? exception.details : {};
    const body: ErrorBody = { statusCode: status, error: reasonPhrase(status), message };
    if (details.field) {
      body.field = details.field;
    }

    return { body: { ...body, ...details.body }, headers: details.headers };
  }

  /** Rewords the 4xx errors Fastify raises before routing, which Nest hands over as HttpExceptions. */
  private renderFastifyError(status: number, code: string, message: string): ErrorBody {
    const body: ErrorBody = { statusCode: status, error: reasonPhrase(status), message };
    switch (code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return {
          ...body,
          field: 'body',
          message: `Request body is larger than the limit of ${this.bodyLimitBytes} bytes.`,
        };
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return {
          ...body,
          field: 'body',
          message:
            'Unsupported Content-Type. Send the body as JSON with "Content-Type: application/json".',
        };
      default:
        return { ...body, field: 'body' };
    }
  }
}

function messageOf(response: object): string | undefined {
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) {
    return message.map(String).join('; ');
  }

  return typeof message === 'string' ? message : undefined;
}

/** Returns the code of an error raised by Fastify itself, such as FST_ERR_CTP_BODY_TOO_LARGE. */
function fastifyErrorCode(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | undefined)?.code;

  return typeof code === 'string' && code.startsWith('FST_') ? code : undefined;
}

function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}
