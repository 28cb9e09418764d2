import { Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse, ApiTags } from '@nestjs/swagger';

import { ApiKeyAuth } from '../common/api-key-auth.decorator.js';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import { Metered } from '../quota/metered.decorator.js';
import { CurrentTimeDto } from './current-time.dto.js';
import { TimeService } from './time.service.js';

const DESCRIPTION =
  'Returns the current time of the server. Not metered unless the server runs with METER_CURRENT_TIME=true, ' +
  'which charges one quota unit per call. The body is ignored, so an empty ' +
  'POST with Content-Type: application/json works.';

@ApiTags('time')
@ApiKeyAuth()
@ApiPayloadTooLargeResponse({
  description: 'The body is over BODY_LIMIT_BYTES.',
  type: ErrorResponseDto,
})
@Metered((environment) => (environment.METER_CURRENT_TIME ? 1 : 0))
@Controller('get-current-time')
export class TimeController {
  constructor(private readonly time: TimeService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Get the current time', description: DESCRIPTION })
  @ApiOkResponse({ description: "The server's current time.", type: CurrentTimeDto })
  currentTimeByPost(): CurrentTimeDto {
    return this.time.currentTime();
  }

  @Get()
  @ApiOperation({ summary: 'Get the current time (GET form)', description: DESCRIPTION })
  @ApiOkResponse({ description: "The server's current time.", type: CurrentTimeDto })
  currentTime(): CurrentTimeDto {
    return this.time.currentTime();
  }
}
