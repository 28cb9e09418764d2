import { Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { Clock } from '../common/clock.js';
import { QuotaPeriod } from '../config/environment.js';
import { ApiKey } from '../keys/api-key.entity.js';
import { storedWindows } from '../keys/keys.service.js';
import { secondsUntilWindowEnd, usedInCurrentWindow, windowStart } from './quota-window.js';

export type QuotaDecision =
  { allowed: true } | { allowed: false; period: QuotaPeriod; retryAfterSeconds: number };

/** Usage of a window as of now: the stored count, or 0 once the stored window has ended. */
const USED_NOW = {
  hourly: '(CASE WHEN hourly_window_start >= :hour THEN hourly_used ELSE 0 END)',
  daily: '(CASE WHEN daily_window_start >= :day THEN daily_used ELSE 0 END)',
};

@Injectable()
export class QuotaService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * Reads whether `cost` more units fit in every window of the key, without charging. Used to
   * turn away a call on a spent key before any work; `consume` makes the binding decision.
   */
  async check(keyId: string, cost: number): Promise<QuotaDecision> {
    const row = await this.dataSource.getRepository(ApiKey).findOneBy({ id: keyId });
    const nowMs = this.clock.now().getTime();
    if (!row) {
      return { allowed: true };
    }

    return decide(row, cost, nowMs);
  }

  /**
   * Charges `cost` units to every window of the key in one atomic UPDATE, if all have room. The
   * same statement rolls a window that has ended, so a key is never blocked by a reset that did
   * not run. A stored window start later than now (the clock went back) keeps its count.
   * When the statement changes nothing, a read finds the spent window to tell the client when to
   * retry. If that read finds room (a window rolled over in between), the charge is tried again.
   */
  async consume(keyId: string, cost: number): Promise<QuotaDecision> {
    for (let attempt = 1; ; attempt++) {
      const nowMs = this.clock.now().getTime();
      const result = await this.dataSource
        .createQueryBuilder()
        .update(ApiKey)
        .set({
          hourlyUsed: () => `${USED_NOW.hourly} + :cost`,
          hourlyWindowStart: () =>
            'CASE WHEN hourly_window_start >= :hour THEN hourly_window_start ELSE :hour END',
          dailyUsed: () => `${USED_NOW.daily} + :cost`,
          dailyWindowStart: () =>
            'CASE WHEN daily_window_start >= :day THEN daily_window_start ELSE :day END',
        })
        .where('id = :id AND revoked_at IS NULL')
        .andWhere(`(hourly_limit IS NULL OR ${USED_NOW.hourly} + :cost <= hourly_limit)`)
        .andWhere(`(daily_limit IS NULL OR ${USED_NOW.daily} + :cost <= daily_limit)`)
        .setParameters({
          id: keyId,
          cost,
          hour: windowStart('hour', nowMs),
          day: windowStart('day', nowMs),
        })
        .execute();
      if (result.affected === 1) {
        return { allowed: true };
      }

      const row = await this.dataSource.getRepository(ApiKey).findOneBy({ id: keyId });
      if (!row || row.revokedAt !== null) {
        throw new UnauthorizedException('API key has been revoked. Ask an operator for a new key.');
      }

      const decision = decide(row, cost, this.clock.now().getTime());
      if (!decision.allowed || attempt === 2) {
        return decision.allowed
          ? { allowed: false, period: 'hour', retryAfterSeconds: 1 }
          : decision;
      }
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

function decide(row: ApiKey, cost: number, nowMs: number): QuotaDecision {
  for (const window of storedWindows(row)) {
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
