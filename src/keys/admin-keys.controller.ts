import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import { AdminTokenGuard } from '../common/admin-token.guard.js';
import { Public } from '../common/api-key.guard.js';
import { Clock } from '../common/clock.js';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import { ApiKeySummaryDto, CreatedApiKeyDto } from './api-key.dto.js';
import {
  CreateKeyRequestDto,
  RotateKeyRequestDto,
  UpdateKeyLimitsRequestDto,
} from './admin-keys.dto.js';
import { parseExpiry, parseGrace } from './key-lifetime.js';
import { KeysService } from './keys.service.js';

/** Name of the OpenAPI security scheme for the admin token, declared in the Swagger set-up. */
export const ADMIN_TOKEN_SCHEME = 'admin-token';

@ApiTags('admin')
@ApiBearerAuth(ADMIN_TOKEN_SCHEME)
@ApiUnauthorizedResponse({
  description: 'The admin token is missing or wrong.',
  type: ErrorResponseDto,
})
@ApiNotFoundResponse({
  description: 'No key has this id, or the server has no ADMIN_TOKEN.',
  type: ErrorResponseDto,
})
@ApiTooManyRequestsResponse({
  description: 'Too many failed attempts from this address.',
  type: ErrorResponseDto,
})
@Public()
@UseGuards(AdminTokenGuard)
@Controller('admin/keys')
export class AdminKeysController {
  constructor(
    private readonly keys: KeysService,
    private readonly clock: Clock,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a key',
    description:
      'The response contains the key, which is shown only this once. Set the quota with ' +
      'hourlyLimit and dailyLimit (null for unlimited, absent for the server default), or with ' +
      'the short form limit and period for a single window.',
  })
  @ApiBody({
    type: CreateKeyRequestDto,
    examples: {
      bothWindows: {
        summary: 'Hourly and daily limits',
        value: { name: 'partner', hourlyLimit: 100, dailyLimit: 1000, expires: '90d' },
      },
      unlimited: {
        summary: 'No limit',
        value: { name: 'internal', hourlyLimit: null, dailyLimit: null },
      },
      shortForm: {
        summary: 'One window (short form)',
        value: { name: 'alice', limit: 100, period: 'hour' },
      },
    },
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiBadRequestResponse({
    description:
      'A field is invalid, or limit and period are mixed with hourlyLimit or dailyLimit.',
    type: ErrorResponseDto,
  })
  create(@Body() body: CreateKeyRequestDto): Promise<CreatedApiKeyDto> {
    const expiresAt =
      body.expires === undefined ? null : parseExpiry(body.expires, this.clock.now().getTime());
    return this.keys.create({ ...body, expiresAt });
  }

  @Get()
  @ApiOperation({ summary: 'List keys', description: 'Every key, without its secret or hash.' })
  @ApiOkResponse({ type: [ApiKeySummaryDto] })
  list(): Promise<ApiKeySummaryDto[]> {
    return this.keys.list();
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Show a key',
    description: 'The key with this id, without its secret or hash, with its quota usage.',
  })
  @ApiOkResponse({ type: ApiKeySummaryDto })
  show(@Param('id') id: string): Promise<ApiKeySummaryDto> {
    return this.keys.show(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change the limits of a key',
    description:
      'Sets the hourly and daily limits of an active key. A field left out keeps its limit, and ' +
      'null removes it. Usage so far is kept and counts against the new limits. The change applies ' +
      'at once in this server, and within KEY_ROW_CACHE_MS in other server processes.',
  })
  @ApiBody({
    type: UpdateKeyLimitsRequestDto,
    examples: {
      bothWindows: { summary: 'Set both windows', value: { hourlyLimit: 100, dailyLimit: 1000 } },
      removeDaily: { summary: 'Remove the daily limit', value: { dailyLimit: null } },
    },
  })
  @ApiOkResponse({ type: ApiKeySummaryDto })
  @ApiBadRequestResponse({
    description:
      'The body sets neither hourlyLimit nor dailyLimit, sets one to something other than an ' +
      'integer of 0 or more or null, or has another field.',
    type: ErrorResponseDto,
  })
  @ApiConflictResponse({ description: 'The key is revoked or expired.', type: ErrorResponseDto })
  setLimits(
    @Param('id') id: string,
    @Body() body: UpdateKeyLimitsRequestDto,
  ): Promise<ApiKeySummaryDto> {
    return this.keys.setLimits(id, body);
  }

  @Post(':id/revoke')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Revoke a key',
    description: 'The key stops working at once. Revoking twice changes nothing.',
  })
  @ApiOkResponse({ type: ApiKeySummaryDto })
  revoke(@Param('id') id: string): Promise<ApiKeySummaryDto> {
    return this.keys.revoke(id);
  }

  @Post(':id/rotate')
  @ApiOperation({
    summary: 'Rotate a key',
    description:
      'Mints a new key with the same name, quota, usage and expiry, and returns it once. The old key stops at once, ' +
      'or when the grace period ends.',
  })
  @ApiBody({ type: RotateKeyRequestDto, required: false })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiConflictResponse({ description: 'The key is revoked or expired.', type: ErrorResponseDto })
  rotate(
    @Param('id') id: string,
    @Body() body: RotateKeyRequestDto = {},
  ): Promise<CreatedApiKeyDto> {
    return this.keys.rotate(id, body.grace === undefined ? 0 : parseGrace(body.grace));
  }
}
