import { HttpStatus } from '@nestjs/common';

import { ApiException } from '../common/api-exception.js';

/** 429 for a spent quota, with Retry-After in whole seconds until the spent window resets. */
export class QuotaExceededException extends ApiException {
  constructor(retryAfterSeconds: number) {
    super(HttpStatus.TOO_MANY_REQUESTS, 'Request limit exceeded. Please try again later.', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}
