import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, Observable, switchMap } from 'rxjs';

import { requestKey } from '../common/api-key.guard.js';
import { QuotaExceededException } from './quota-exceeded.exception.js';
import { QuotaService } from './quota.service.js';

/** Metadata key under which `@Metered()` stores a route's cost in quota units. */
export const METERED_COST = 'primetime:metered-cost';

/**
 * Meters routes marked with `@Metered()`. Nest runs interceptors before pipes, so validation has
 * not happened yet when this runs. The interceptor therefore turns away a key that is already
 * spent, runs the handler, and charges only a call that succeeded. The charge is one atomic
 * conditional UPDATE; when concurrent calls race for the last units, the losers get 429 and their
 * results are dropped, so successful responses never exceed the limit.
 */
@Injectable()
export class QuotaInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly quota: QuotaService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const cost = this.reflector.get<number>(METERED_COST, context.getHandler()) ?? 0;
    const key = requestKey(context.switchToHttp().getRequest());
    if (cost === 0 || !key) {
      return next.handle();
    }

    const precheck = this.quota.check(key.quotaWindows, cost);
    if (!precheck.allowed) {
      throw new QuotaExceededException(precheck.retryAfterSeconds);
    }

    return next.handle().pipe(
      switchMap((result: unknown) =>
        from(
          this.quota.consume(key.id, cost).then((decision) => {
            if (!decision.allowed) {
              throw new QuotaExceededException(decision.retryAfterSeconds);
            }

            return result;
          }),
        ),
      ),
    );
  }
}
