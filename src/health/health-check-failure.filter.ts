import { ArgumentsHost, Catch, ExceptionFilter, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/**
 * Sends terminus's own 503 body (status, info, error, details) unchanged. The global filter would
 * otherwise reduce it to statusCode, error and message, and drop which check failed.
 */
@Catch(ServiceUnavailableException)
export class HealthCheckFailureFilter implements ExceptionFilter {
  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    void host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .status(exception.getStatus())
      .type('application/json; charset=utf-8')
      .send(exception.getResponse());
  }
}
