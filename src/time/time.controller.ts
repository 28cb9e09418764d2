import {
  applyDecorators,
  Controller,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Post,
  Req,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

import { ApiKeyAuth } from '../common/api-key-auth.decorator.js';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import { Metered } from '../quota/metered.decorator.js';
import {
  CurrentTimeDto,
  CurrentTimeRequestDto,
  TimeZoneErrorResponseDto,
} from './current-time.dto.js';
import { TIME_ZONE_FIELD } from './time-zone-errors.js';
import { requestedTimeZone } from './time-zone-parameter.js';
import { TimeService } from './time.service.js';

const DESCRIPTION =
  "Returns the current time in the IANA time zone given as `timezone`, or in the server's zone when there is " +
  "none, with the UTC offset, the zone's abbreviation, whether daylight-saving time is in effect, and the " +
  'version of the time-zone database. `timezone` may be sent in the query string, or in a POST body as JSON ' +
  'or a form; the rest of the body is ignored, so an empty POST with Content-Type: application/json works. ' +
  'Responses carry Cache-Control: no-store. Not metered unless the server runs with METER_CURRENT_TIME=true, ' +
  'which charges one quota unit per call.';

/** Applies the documentation and headers that the GET and POST forms share. */
function CurrentTimeRoute(summary: string): MethodDecorator {
  return applyDecorators(
    Header('Cache-Control', 'no-store'),
    ApiOperation({ summary, description: DESCRIPTION }),
    ApiQuery({
      name: TIME_ZONE_FIELD,
      required: false,
      type: String,
      description:
        "IANA time zone name, matched case-insensitively, such as Europe/Paris or UTC. Absent or empty: the server's " +
        'zone.',
      example: 'Europe/Paris',
    }),
    ApiOkResponse({ description: 'The current time in the zone.', type: CurrentTimeDto }),
    ApiBadRequestResponse({
      description:
        '`timezone` is not a known zone (the body then names it in `value` and lists up to 3 close names in ' +
        '`suggestions`), is not a string, or differs between the query string and the body.',
      type: TimeZoneErrorResponseDto,
    }),
  );
}

/**
 * The handlers read `timezone` from the request themselves, because the global validation pipe
 * would reject the other body fields that this route ignores. A custom parameter decorator would
 * still run that async pipe on every call, which cost about a tenth of the route's requests per
 * second in a local autocannon run.
 */
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
  @CurrentTimeRoute('Get the current time')
  @ApiBody({
    type: CurrentTimeRequestDto,
    required: false,
    description:
      'Optional. Only `timezone` is read: other fields, and bodies that are not a JSON object or a form, are ' +
      'ignored.',
    examples: {
      zone: { summary: 'A time zone', value: { timezone: 'Europe/Paris' } },
      empty: { summary: "The server's zone", value: {} },
    },
  })
  currentTimeByPost(@Req() request: FastifyRequest): CurrentTimeDto {
    return this.time.currentTime(requestedTimeZone(request.query, request.body));
  }

  @Get()
  @CurrentTimeRoute('Get the current time (GET form)')
  currentTime(@Req() request: FastifyRequest): CurrentTimeDto {
    return this.time.currentTime(requestedTimeZone(request.query));
  }
}
