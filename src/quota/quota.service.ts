import { Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { Clock } from '../common/clock.js';
import { QuotaPeriod } from '../config/environment.js';
import { ApiKey } from '../keys/api-key.entity.js';
import { windowsOfRow } from '../keys/api-key-row.js';
import {
  secondsUntilWindowEnd,
  StoredWindow,
  usedInCurrentWindow,
  windowStart,
} from './quota-window.js';

export type QuotaDecision =
  { allowed: true } | { allowed: false; period: QuotaPeriod; retryAfterSeconds: number };

/**
 * Charges a metered call and rolls both windows in one UPDATE. Usage of a window counts as 0 once
 * its stored start is before the current window. A stored start later than now (the clock went
 * back) keeps its count. Named parameters are portable: TypeORM turns them into each driver's
 * placeholders. RETURNING works on SQLite 3.35 and later and on PostgreSQL.
 */
const CONSUME_SQL = `
UPDATE api_keys SET
  hourly_used = (CASE WHEN hourly_window_start >= :hour THEN hourly_used ELSE 0 END) + :cost,
  hourly_window_start = CASE WHEN hourly_window_start >= :hour THEN hourly_window_start ELSE :hour END,
  daily_used = (CASE WHEN daily_window_start >= :day THEN daily_used ELSE 0 END) + :cost,
  daily_window_start = CASE WHEN daily_window_start >= :day THEN daily_window_start ELSE :day END
WHERE id = :id
  AND revoked_at IS NULL
  AND (hourly_limit IS NULL
    OR (CASE WHEN hourly_window_start >= :hour THEN hourly_used ELSE 0 END) + :cost <= hourly_limit)
  AND (daily_limit IS NULL
    OR (CASE WHEN daily_window_start >= :day THEN daily_used ELSE 0 END) + :cost <= daily_limit)
RETURNING id`;

const QUOTA_STATE_SQL = `
SELECT revoked_at, hourly_limit, hourly_used, hourly_window_start, daily_limit, daily_used, daily_window_start
FROM api_keys WHERE id = :id`;

@Injectable()
export class QuotaService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * Decides from a snapshot of the key's windows, without a query, whether `cost` more units fit.
   * The guard loads the snapshot with the key, so a spent key is turned away before any work;
   * `consume` makes the binding decision.
   */
  check(windows: StoredWindow[], cost: number): QuotaDecision {
    return decide(windows, cost, this.clock.now().getTime());
  }

  /**
   * Charges `cost` units to every window of the key in one atomic UPDATE, if all have room. The
   * same statement rolls a window that has ended, so a key is never blocked by a reset that did
   * not run. When the statement changes nothing, a read finds the spent window to tell the client
   * when to retry. If that read finds room (a window rolled over in between), the charge is tried
   * again once.
   */
  async consume(keyId: string, cost: number): Promise<QuotaDecision> {
    for (let attempt = 1; ; attempt++) {
      const nowMs = this.clock.now().getTime();
      const charged = await this.run(CONSUME_SQL, {
        id: keyId,
        cost,
        hour: windowStart('hour', nowMs),
        day: windowStart('day', nowMs),
      });
      if (charged.length === 1) {
        return { allowed: true };
      }

      const [state] = await this.run(QUOTA_STATE_SQL, { id: keyId });
      if (!state || state.revoked_at !== null) {
        throw new UnauthorizedException('API key has been revoked. Ask an operator for a new key.');
      }

      const decision = decide(windowsOfRow(state), cost, this.clock.now().getTime());
      if (!decision.allowed || attempt === 2) {
        return decision.allowed
          ? { allowed: false, period: 'hour', retryAfterSeconds: 1 }
          : decision;
      }
    }
  }

  /** Runs portable SQL with named parameters and returns the rows it returned. */
  private async run(
    sql: string,
    parameters: Record<string, unknown>,
  ): Promise<Record<string, unknown>[]> {
    const [query, values] = this.dataSource.driver.escapeQueryWithParameters(sql, parameters);
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(query, values, true);
      return (result.records ?? []) as Record<string, unknown>[];
    } finally {
      await runner.release();
    }
  }

  /**
   * Sets the usage of every key whose `period` window has ended to zero in the current window,
   * and returns how many keys changed. Running it twice changes nothing the second time.
   */
  async resetEndedWindows(period: QuotaPeriod): Promise<number> {
    const current = windowStart(period, this.clock.now().getTime());
    const query = this.dataSource.createQueryBuilder().update(ApiKey);
    const result =
      period === 'hour'
        ? await query
            .set({ hourlyUsed: 0, hourlyWindowStart: current })
            .where('hourly_window_start < :current AND hourly_used > 0', { current })
            .execute()
        : await query
            .set({ dailyUsed: 0, dailyWindowStart: current })
            .where('daily_window_start < :current AND daily_used > 0', { current })
            .execute();

    return result.affected ?? 0;
  }
}

function decide(windows: StoredWindow[], cost: number, nowMs: number): QuotaDecision {
  for (const window of windows) {
    if (usedInCurrentWindow(window, nowMs) + cost > (window.limit ?? Infinity)) {
      return {
        allowed: false,
        period: window.period,
        retryAfterSeconds: secondsUntilWindowEnd(window.period, nowMs),
      };
    }
  }

  return { allowed: true };
}
