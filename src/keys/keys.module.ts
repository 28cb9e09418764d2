import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { ApiKey } from './api-key.entity.js';
import { KeyHasher } from './key-hasher.js';
import { KeysService } from './keys.service.js';
import { VerificationCache } from './verification-cache.js';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKey])],
  providers: [KeysService, KeyHasher, VerificationCache],
  exports: [KeysService],
})
export class KeysModule {}
