import { Module } from '@nestjs/common';

import { QuotaResetScheduler } from './quota-reset.scheduler.js';
import { QuotaInterceptor } from './quota.interceptor.js';
import { QuotaService } from './quota.service.js';

@Module({
  providers: [QuotaService, QuotaInterceptor, QuotaResetScheduler],
  exports: [QuotaService, QuotaInterceptor],
})
export class QuotaModule {}
