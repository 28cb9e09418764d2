import { Module } from '@nestjs/common';

import { QuotaModule } from '../quota/quota.module.js';
import { TimeController } from './time.controller.js';
import { TimeService } from './time.service.js';

@Module({
  imports: [QuotaModule],
  controllers: [TimeController],
  providers: [TimeService],
})
export class TimeModule {}
