import { Global, Module } from '@nestjs/common';

import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { Clock } from './clock.js';

@Global()
@Module({
  providers: [Clock, AuthFailureLimiter],
  exports: [Clock, AuthFailureLimiter],
})
export class CommonModule {}
