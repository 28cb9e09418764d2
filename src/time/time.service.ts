import { Injectable, Logger } from '@nestjs/common';

import { Clock } from '../common/clock.js';
import { CurrentTimeDto } from './current-time.dto.js';
import { unknownTimeZone } from './time-zone-errors.js';
import { TimeZones } from './time-zones.js';
import { ZoneClock } from './zone-clock.js';

@Injectable()
export class TimeService {
  private readonly logger = new Logger(TimeService.name);
  private readonly zones = new TimeZones(Intl.DateTimeFormat().resolvedOptions().timeZone);

  constructor(private readonly clock: Clock) {
    if (!this.zones.serverZoneKnown) {
      this.logger.warn(
        `The server's time zone (TZ=${JSON.stringify(process.env.TZ ?? '')}) is not an IANA zone that Intl accepts, ` +
          'so times without a timezone parameter are in UTC under the name Etc/Unknown. Set TZ to a name such as ' +
          'Europe/Paris or UTC.',
      );
    }
  }

  /**
   * Returns the current time in the zone named `timeZone`, or in the server's zone (the TZ
   * environment variable, or the system's zone) when it is undefined.
   */
  currentTime(timeZone?: string): CurrentTimeDto {
    return this.zoneClock(timeZone).read(this.clock.now());
  }

  private zoneClock(timeZone: string | undefined): ZoneClock {
    if (timeZone === undefined) {
      return this.zones.server;
    }

    const zone = this.zones.find(timeZone);
    if (!zone) {
      throw unknownTimeZone(timeZone, this.zones.suggest(timeZone));
    }

    return zone;
  }
}
