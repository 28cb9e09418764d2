import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';

import { QuotaService } from './quota.service.js';

/**
 * Sets usage back to zero at the start of each UTC hour and day. The consume statement already
 * treats an ended window as empty, so a missed run blocks no one; the job keeps stored counts
 * (and `keys list`) current. Both jobs are idempotent, so running one twice changes nothing.
 */
@Injectable()
export class QuotaResetScheduler {
  private readonly logger = new Logger(QuotaResetScheduler.name);

  constructor(private readonly quota: QuotaService) {}

  @Cron('0 0 * * * *', { name: 'reset-hourly-quotas', timeZone: 'UTC' })
  async resetHourlyQuotasAtTopOfHourUtc(): Promise<number> {
    const count = await this.quota.resetEndedWindows('hour');
    this.logger.log(`Reset the hourly quota of ${count} key(s)`);

    return count;
  }

  @Cron('0 0 0 * * *', { name: 'reset-daily-quotas', timeZone: 'UTC' })
  async resetDailyQuotasAtMidnightUtc(): Promise<number> {
    const count = await this.quota.resetEndedWindows('day');
    this.logger.log(`Reset the daily quota of ${count} key(s)`);

    return count;
  }
}
