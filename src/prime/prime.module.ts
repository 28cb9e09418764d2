import { Module } from '@nestjs/common';

import { QuotaModule } from '../quota/quota.module.js';
import { PrimeController } from './prime.controller.js';
import { PrimeService } from './prime.service.js';

@Module({
  imports: [QuotaModule],
  controllers: [PrimeController],
  providers: [PrimeService],
})
export class PrimeModule {}
