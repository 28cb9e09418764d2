import type { CurrentTimeDto } from './current-time.dto.js';

/**
 * English locales tried in order for a zone's abbreviation. CLDR gives each locale only the
 * abbreviations used there: en-US has EST and PST, en-GB has CET and BST, en-AU has AEST. Every
 * locale falls back to the "GMT+1" form for the other zones.
 */
const ABBREVIATION_LOCALES = [
  'en-US',
  'en-GB',
  'en-IE',
  'en-AU',
  'en-NZ',
  'en-IN',
  'en-ZA',
  'en-CA',
];

/** Matches the fallback form of an abbreviation, such as "GMT+1" or "GMT-3:30". */
const OFFSET_ABBREVIATION = /^(GMT|UTC)[+\-\u2212]\d/;

const TZDATA_VERSION = process.versions.tz ?? 'unknown';

/** The fields of one wall-clock second in a zone. Only the milliseconds change within it. */
interface Second {
  unixSeconds: number;
  /** The second in UTC, as YYYY-MM-DDTHH:MM:SS. */
  utc: string;
  date: string;
  time: string;
  utcOffset: string;
  abbreviation: string;
  dst: boolean;
}

/**
 * Reads the time in one IANA zone. Intl does the zone arithmetic with the time-zone database of
 * Node's ICU. Building an Intl.DateTimeFormat took about 50 µs on the development machine, so each
 * zone builds one, on its first read. Formatting with it took about 5 µs, so the fields of the
 * last second read are kept for every read within the same second.
 */
export class ZoneClock {
  private formatter?: Intl.DateTimeFormat;
  private last?: Second;
  private standardOffset?: { year: number; minutes: number };

  /**
   * `timeZone` is the name reported. `formatZone` must be a name that Intl accepts, which
   * TimeZones checks, or undefined for ICU's default zone.
   */
  constructor(
    readonly timeZone: string,
    private readonly formatZone: string | undefined,
  ) {}

  read(now: Date): CurrentTimeDto {
    const unixMs = now.getTime();
    const unixSeconds = Math.floor(unixMs / 1000);
    if (this.last?.unixSeconds !== unixSeconds) {
      this.last = this.readSecond(unixSeconds);
    }

    const { utc, date, time, utcOffset, abbreviation, dst } = this.last;
    const milliseconds = String(unixMs - unixSeconds * 1000).padStart(3, '0');

    return {
      currentTime: `${date} ${time}`,
      iso: `${date}T${time}.${milliseconds}${utcOffset}`,
      utc: `${utc}.${milliseconds}Z`,
      timeZone: this.timeZone,
      abbreviation,
      utcOffset,
      dst,
      unixSeconds,
      unixMs,
      tzdataVersion: TZDATA_VERSION,
    };
  }

  private readSecond(unixSeconds: number): Second {
    const instant = unixSeconds * 1000;
    const fields = this.wallClock(instant);
    const offsetMinutes = offsetOf(fields, instant);

    return {
      unixSeconds,
      utc: new Date(instant).toISOString().slice(0, 19),
      date: `${String(fields.year).padStart(4, '0')}-${pad(fields.month)}-${pad(fields.day)}`,
      time: `${pad(fields.hour)}:${pad(fields.minute)}:${pad(fields.second)}`,
      utcOffset: formatOffset(offsetMinutes),
      abbreviation: fields.abbreviation,
      dst: offsetMinutes > this.standardOffsetIn(fields.year),
    };
  }

  /**
   * Returns the zone's standard offset in a year: the smaller of its January and July offsets, so
   * that daylight-saving time counts in both hemispheres. Cached for the last year asked.
   */
  private standardOffsetIn(year: number): number {
    if (this.standardOffset?.year !== year) {
      const january = Date.UTC(year, 0, 1);
      const july = Date.UTC(year, 6, 1);
      const minutes = Math.min(
        offsetOf(this.wallClock(january), january),
        offsetOf(this.wallClock(july), july),
      );
      this.standardOffset = { year, minutes };
    }

    return this.standardOffset.minutes;
  }

  private wallClock(instant: number): WallClock {
    this.formatter ??= createFormatter(this.formatZone, instant);

    return toWallClock(this.formatter.formatToParts(instant));
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  abbreviation: string;
}

function toWallClock(parts: Intl.DateTimeFormatPart[]): WallClock {
  const clock: WallClock = {
    year: 0,
    month: 0,
    day: 0,
    hour: 0,
    minute: 0,
    second: 0,
    abbreviation: '',
  };
  for (const { type, value } of parts) {
    if (type === 'timeZoneName') {
      clock.abbreviation = value;
    } else if (type !== 'literal' && type in clock) {
      clock[type as Exclude<keyof WallClock, 'abbreviation'>] = Number(value);
    }
  }

  return clock;
}

/** Returns the zone's offset east of UTC, in minutes, at `instant` (a whole second). */
function offsetOf(clock: WallClock, instant: number): number {
  const asUtc = new Date(
    Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute, clock.second),
  );
  asUtc.setUTCFullYear(clock.year); // Date.UTC reads years 0 to 99 as 1900 to 1999.

  return Math.round((asUtc.getTime() - instant) / 60_000);
}

/**
 * Builds the formatter of a zone in the first locale that has real abbreviations for it in both
 * January and July of the year of `instant`, or in en-US when none has.
 */
function createFormatter(timeZone: string | undefined, instant: number): Intl.DateTimeFormat {
  const year = new Date(instant).getUTCFullYear();
  const samples = [Date.UTC(year, 0, 15), Date.UTC(year, 6, 15)];
  for (const locale of ABBREVIATION_LOCALES) {
    const formatter = formatterFor(locale, timeZone);
    const abbreviations = samples.map(
      (sample) => toWallClock(formatter.formatToParts(sample)).abbreviation,
    );
    if (!abbreviations.some((abbreviation) => OFFSET_ABBREVIATION.test(abbreviation))) {
      return formatter;
    }
  }

  return formatterFor(ABBREVIATION_LOCALES[0], timeZone);
}

function formatterFor(locale: string, timeZone: string | undefined): Intl.DateTimeFormat {
  // Latin digits and hours 00 to 23, whatever the locale's defaults are.
  return new Intl.DateTimeFormat(`${locale}-u-nu-latn`, {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
}

/** Formats an offset east of UTC in minutes as ±HH:MM. */
function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);

  return `${sign}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
