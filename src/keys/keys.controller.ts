import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiKeyAuth } from '../common/api-key-auth.decorator.js';
import { CurrentKey } from '../common/api-key.guard.js';
import { ApiKeySummaryDto } from './api-key.dto.js';
import { KeysService } from './keys.service.js';
import type { VerifiedKey } from './keys.service.js';

@ApiTags('keys')
@ApiKeyAuth()
@Controller('keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Get('self')
  @ApiOperation({
    summary: 'Show the presented key',
    description:
      'Returns the id, name, expiry and quota of the key that made the request. Uses no quota.',
  })
  @ApiOkResponse({ description: 'The presented key, without its secret.', type: ApiKeySummaryDto })
  self(@CurrentKey() key: VerifiedKey): Promise<ApiKeySummaryDto> {
    return this.keys.show(key.id);
  }
}
