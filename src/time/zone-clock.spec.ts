import { ZoneClock } from './zone-clock.js';

function readAt(timeZone: string, instant: string) {
  return new ZoneClock(timeZone, timeZone).read(new Date(instant));
}

describe(ZoneClock.name, () => {
  describe('read', () => {
    it.each([
      ['Europe/Berlin', '2026-03-29T00:59:59.000Z', '2026-03-29 01:59:59', '+01:00', 'CET', false],
      ['Europe/Berlin', '2026-03-29T01:00:00.000Z', '2026-03-29 03:00:00', '+02:00', 'CEST', true],
      [
        'America/New_York',
        '2026-11-01T05:59:59.000Z',
        '2026-11-01 01:59:59',
        '-04:00',
        'EDT',
        true,
      ],
      [
        'America/New_York',
        '2026-11-01T06:00:00.000Z',
        '2026-11-01 01:00:00',
        '-05:00',
        'EST',
        false,
      ],
      [
        'Australia/Sydney',
        '2026-01-15T00:00:00.000Z',
        '2026-01-15 11:00:00',
        '+11:00',
        'AEDT',
        true,
      ],
      [
        'Australia/Sydney',
        '2026-07-15T00:00:00.000Z',
        '2026-07-15 10:00:00',
        '+10:00',
        'AEST',
        false,
      ],
      [
        'Asia/Kathmandu',
        '2026-07-15T00:00:00.000Z',
        '2026-07-15 05:45:00',
        '+05:45',
        'GMT+5:45',
        false,
      ],
      ['Etc/GMT+5', '2026-07-15T00:00:00.000Z', '2026-07-14 19:00:00', '-05:00', 'GMT-5', false],
    ])('reads %s at %s', (timeZone, instant, currentTime, utcOffset, abbreviation, dst) => {
      const time = readAt(timeZone, instant);

      expect(time.currentTime).toBe(currentTime);
      expect(time.utcOffset).toBe(utcOffset);
      expect(time.abbreviation).toBe(abbreviation);
      expect(time.dst).toBe(dst);
    });

    it('derives iso, utc and the Unix times from the same instant', () => {
      const time = readAt('America/St_Johns', '2026-07-15T12:00:00.042Z');

      expect(time.iso).toBe('2026-07-15T09:30:00.042-02:30');
      expect(time.utc).toBe('2026-07-15T12:00:00.042Z');
      expect(time.unixMs).toBe(Date.parse('2026-07-15T12:00:00.042Z'));
      expect(time.unixSeconds).toBe(Math.floor(time.unixMs / 1000));
      expect(Date.parse(time.iso)).toBe(time.unixMs);
    });

    it('keeps the milliseconds of each read within one second', () => {
      const clock = new ZoneClock('UTC', 'UTC');
      clock.read(new Date('2026-07-15T12:00:00.001Z'));

      expect(clock.read(new Date('2026-07-15T12:00:00.999Z')).iso).toBe(
        '2026-07-15T12:00:00.999+00:00',
      );
    });

    it('reads instants before 1970', () => {
      expect(readAt('UTC', '1969-12-31T23:59:59.500Z').iso).toBe('1969-12-31T23:59:59.500+00:00');
    });

    it('reports the database version of the process', () => {
      expect(readAt('UTC', '2026-07-15T12:00:00Z').tzdataVersion).toBe(process.versions.tz);
    });
  });
});
