import { Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { Clock } from '../common/clock.js';
import { QuotaPeriod } from '../config/environment.js';
import { LimitUsage, tightestOf } from '../common/rate-limit.js';
import { SqlParameters, SqlRow, SqlRunner } from '../database/sql-runner.js';
import { ApiKey } from '../keys/api-key.entity.js';
import { QUOTA_COLUMNS, windowsOfRow } from '../keys/api-key-row.js';
import { StoredWindow, usageOf, windowStart } from './quota-window.js';

/**
 * The outcome of a charge or a check: the usage of each quota window of the key, and when the
 * call does not fit, the window that blocks it.
 */
export type QuotaDecision =
  | { allowed: true; usage: LimitUsage[] }
  | { allowed: false; usage: LimitUsage[]; exceeded: LimitUsage };

/**
 * Charges a metered call and rolls both windows in one UPDATE. Usage of a window counts as 0 once
 * its stored start is before the current window. A stored start later than now (the clock went
 * back) keeps its count. The parameters are portable: SqlRunner binds them on each driver.
 * RETURNING works on SQLite 3.35 and later and on PostgreSQL.
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
RETURNING ${QUOTA_COLUMNS}`;

/** A call waiting for the next batch of charges. */
interface PendingCharge {
  cost: number;
  resolve(row: SqlRow | undefined): void;
  reject(error: unknown): void;
}

const QUOTA_STATE_SQL = `SELECT revoked_at, ${QUOTA_COLUMNS} FROM api_keys WHERE id = :id`;

@Injectable()
export class QuotaService {
  private pendingCharges = new Map<string, PendingCharge[]>();

  constructor(
    private readonly sql: SqlRunner,
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
   * Charges `cost` units to every window of the key in one atomic UPDATE, if all have room, and
   * returns the usage after the charge. The same statement rolls a window that has ended, so a
   * key is never blocked by a reset that did not run. When the statement changes nothing, a read
   * finds the spent window to tell the client when to retry. If that read finds room (a window
   * rolled over in between), the charge is tried again once.
   */
  async consume(keyId: string, cost: number): Promise<QuotaDecision> {
    for (let attempt = 1; ; attempt++) {
      const charged = await this.charge(keyId, cost);
      if (charged) {
        return decide(windowsOfRow(charged), 0, this.clock.now().getTime());
      }

      const [state] = await this.sql.rows(QUOTA_STATE_SQL, { id: keyId });
      if (!state || state.revoked_at !== null) {
        throw new UnauthorizedException('API key has been revoked. Ask an operator for a new key.');
      }

      const decision = decide(windowsOfRow(state), cost, this.clock.now().getTime());
      const tightest = tightestOf(decision.usage);
      if (decision.allowed && attempt === 2 && tightest) {
        // Two charges failed on a key that reads as having room: a window is turning over.
        return {
          allowed: false,
          usage: decision.usage,
          exceeded: { ...tightest, resetSeconds: 1, resetAtMs: this.clock.now().getTime() + 1000 },
        };
      }

      if (!decision.allowed) {
        return decision;
      }
    }
  }

  /**
   * Runs the consume statement for one call and returns the key's quota row after the charge, or
   * undefined when the call did not fit. The calls of one turn of the event loop are charged
   * together (see `flushCharges`).
   */
  private charge(keyId: string, cost: number): Promise<SqlRow | undefined> {
    return new Promise((resolve, reject) => {
      if (this.pendingCharges.size === 0) {
        setImmediate(() => void this.flushCharges());
      }
      const calls = this.pendingCharges.get(keyId) ?? [];
      calls.push({ cost, resolve, reject });
      this.pendingCharges.set(keyId, calls);
    });
  }

  /**
   * Charges the waiting calls. The calls of one key are first charged together with their summed
   * cost: one statement, and each call gets the usage it would have seen had the calls run one
   * after another. When the sum does not fit, that key's calls run one by one, so the calls that
   * fit still succeed and no limit is exceeded. On SQLite all statements of a step share one
   * transaction. On PostgreSQL each is its own, which the row lock serializes per key.
   */
  private async flushCharges(): Promise<void> {
    const groups = [...this.pendingCharges];
    this.pendingCharges = new Map();
    const nowMs = this.clock.now().getTime();
    try {
      const merged = await this.runCharges(
        groups.map(([keyId, calls]) => ({
          sql: CONSUME_SQL,
          parameters: consumeParameters(keyId, totalCost(calls), nowMs),
        })),
      );
      const oneByOne: { keyId: string; call: PendingCharge }[] = [];
      groups.forEach(([keyId, calls], index) => {
        const result = merged[index];
        if (result instanceof Error) {
          calls.forEach((call) => call.reject(result));
        } else if (result[0]) {
          settleInOrder(calls, result[0]);
        } else if (calls.length === 1) {
          calls[0].resolve(undefined);
        } else {
          oneByOne.push(...calls.map((call) => ({ keyId, call })));
        }
      });
      if (oneByOne.length === 0) {
        return;
      }

      const single = await this.runCharges(
        oneByOne.map(({ keyId, call }) => ({
          sql: CONSUME_SQL,
          parameters: consumeParameters(keyId, call.cost, nowMs),
        })),
      );
      oneByOne.forEach(({ call }, index) => {
        const result = single[index];
        if (result instanceof Error) {
          call.reject(result);
        } else {
          call.resolve(result[0]);
        }
      });
    } catch (error) {
      // The SQLite transaction could not begin or commit, so none of these charges took effect.
      groups.forEach(([, calls]) => calls.forEach((call) => call.reject(error)));
    }
  }

  /**
   * Runs consume statements and returns each one's rows or error: in one SQLite transaction, or
   * side by side on PostgreSQL's connection pool.
   */
  private runCharges(
    writes: { sql: string; parameters: SqlParameters }[],
  ): Promise<(SqlRow[] | Error)[]> {
    if (this.sql.batchesWrites) {
      return Promise.resolve(this.sql.writeBatch(writes));
    }

    return Promise.all(
      writes.map((write) =>
        this.sql
          .rows(write.sql, write.parameters)
          .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      ),
    );
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

function consumeParameters(keyId: string, cost: number, nowMs: number): SqlParameters {
  return { id: keyId, cost, hour: windowStart('hour', nowMs), day: windowStart('day', nowMs) };
}

function totalCost(calls: PendingCharge[]): number {
  return calls.reduce((sum, call) => sum + call.cost, 0);
}

/** Resolves each call with the row as it was right after its own charge. */
function settleInOrder(calls: PendingCharge[], row: SqlRow): void {
  let later = totalCost(calls);
  for (const call of calls) {
    later -= call.cost;
    call.resolve({
      ...row,
      hourly_used: Number(row.hourly_used) - later,
      daily_used: Number(row.daily_used) - later,
    });
  }
}

/**
 * Decides whether `cost` more units fit in every window. When several windows are full, the one that
 * ends last is the exceeded one: retrying when an earlier one resets would fail again.
 */
function decide(windows: StoredWindow[], cost: number, nowMs: number): QuotaDecision {
  const usage = windows.map((window) => usageOf(window, nowMs));
  const full = usage.filter((window) => window.remaining < cost);
  const exceeded = full.reduce<LimitUsage | undefined>(
    (last, window) => (!last || window.resetSeconds > last.resetSeconds ? window : last),
    undefined,
  );

  return exceeded ? { allowed: false, usage, exceeded } : { allowed: true, usage };
}
