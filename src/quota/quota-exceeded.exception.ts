import { HttpStatus } from '@nestjs/common';

import { ApiException } from '../common/api-exception.js';
import { QuotaPeriod } from '../config/environment.js';

export class QuotaExceededException extends ApiException {
  constructor(period: QuotaPeriod, retryAfterSeconds: number) {
    super(HttpStatus.TOO_MANY_REQUESTS, 'Request limit exceeded. Please try again later.', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
      body: { window: period, retryAfter: retryAfterSeconds },
    });
  }
}
