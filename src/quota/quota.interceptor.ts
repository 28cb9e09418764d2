import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { mergeMap, Observable } from 'rxjs';

import { requestKey } from '../common/api-key.guard.js';
import type { RequestWithKey } from '../common/api-key.guard.js';
import { rateLimitHeaders, TooManyRequestsException } from '../common/rate-limit.js';
import { Environment } from '../config/environment.js';
import { burstUsage } from './burst-throttler.guard.js';
import type { RequestWithBurst } from './burst-throttler.guard.js';
import { QuotaDecision, QuotaService } from './quota.service.js';

/** A route's cost in quota units, fixed or read from the configuration. */
export type MeteredCost = number | ((environment: Environment) => number);

type MeteredRequest = RequestWithKey & RequestWithBurst;

/** Metadata key under which `@Metered()` stores a route's cost. */
export const METERED_COST = 'primetime:metered-cost';

/**
 * Meters routes marked with `@Metered()`. Nest runs interceptors before pipes, so validation has
 * not happened yet when this runs. The interceptor therefore turns away a key that is already
 * spent, runs the handler, and charges only a call that succeeded: a 4xx or 5xx uses nothing,
 * which is the same as a refund without the window in which the unit was taken. The charge is one
 * atomic conditional UPDATE; when concurrent calls race for the last units, the losers get 429 and
 * their results are dropped, so successful responses never exceed the limit.
 */
@Injectable()
export class QuotaInterceptor implements NestInterceptor {
  private readonly costs = new WeakMap<object, number>();

  constructor(
    private readonly reflector: Reflector,
    private readonly quota: QuotaService,
    private readonly environment: Environment,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const cost = this.costOf(context);
    const request = context.switchToHttp().getRequest<MeteredRequest>();
    const key = requestKey(request);
    if (cost === 0 || !key) {
      return next.handle();
    }

    const precheck = this.quota.check(key.quotaWindows, cost);
    if (!precheck.allowed) {
      throw this.exceeded(precheck, request);
    }

    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      mergeMap((result: unknown) =>
        this.quota.consume(key.id, cost).then((decision) => {
          if (!decision.allowed) {
            throw this.exceeded(decision, request);
          }

          void reply.headers(this.headers(decision, request));
          return result;
        }),
      ),
    );
  }

  private costOf(context: ExecutionContext): number {
    const handler = context.getHandler();
    let cost = this.costs.get(handler);
    if (cost === undefined) {
      const declared = this.reflector.getAllAndOverride<MeteredCost | undefined>(METERED_COST, [
        handler,
        context.getClass(),
      ]);
      cost = typeof declared === 'function' ? declared(this.environment) : (declared ?? 0);
      this.costs.set(handler, cost);
    }

    return cost;
  }

  private headers(decision: QuotaDecision, request: MeteredRequest): Record<string, string> {
    return rateLimitHeaders(decision.usage, burstUsage(request));
  }

  private exceeded(
    decision: Extract<QuotaDecision, { allowed: false }>,
    request: MeteredRequest,
  ): TooManyRequestsException {
    const exceeded = { ...decision.exceeded, remaining: 0 };
    const usage = decision.usage.map((window) =>
      window === decision.exceeded ? exceeded : window,
    );

    return new TooManyRequestsException(
      'quota',
      exceeded,
      rateLimitHeaders(usage, burstUsage(request), exceeded),
    );
  }
}
