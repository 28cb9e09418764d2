import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * The JSON body of every error response. `field` names the request field at fault, when one is.
 */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  field?: string;
  [extra: string]: unknown;
}

/**
 * An HttpException that also carries response headers (such as Retry-After) and extra body
 * fields. The global exception filter renders it.
 */
export class ApiException extends HttpException {
  constructor(
    status: HttpStatus,
    message: string,
    readonly details: {
      field?: string;
      headers?: Record<string, string>;
      body?: Record<string, unknown>;
    } = {},
  ) {
    super(message, status);
  }
}
