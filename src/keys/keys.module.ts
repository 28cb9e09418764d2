import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { AdminKeysController } from './admin-keys.controller.js';
import { ApiKey } from './api-key.entity.js';
import { KeyChanges } from './key-changes.js';
import { KeyHasher } from './key-hasher.js';
import { KeysController } from './keys.controller.js';
import { KeysService } from './keys.service.js';
import { VerificationCache } from './verification-cache.js';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKey])],
  controllers: [KeysController, AdminKeysController],
  providers: [KeysService, KeyHasher, KeyChanges, VerificationCache],
  exports: [KeysService],
})
export class KeysModule {}
