import { editDistance, TimeZones } from './time-zones.js';

describe(TimeZones.name, () => {
  let sut: TimeZones;

  beforeEach(() => {
    sut = new TimeZones('UTC');
  });

  describe('find', () => {
    it('matches names case-insensitively', () => {
      expect(sut.find('america/new_york')?.timeZone).toBe('America/New_York');
    });

    it('resolves an alias to its zone', () => {
      expect(sut.find('US/Eastern')).toBe(sut.find('America/New_York'));
    });

    it('gives the server zone the same clock as its name', () => {
      expect(sut.find('utc')).toBe(sut.server);
    });

    it.each(['Europe/Pari', '+01:00', 'GMT+5', '', ' UTC', 'Europe/Paris\n', 'a'.repeat(65)])(
      'returns undefined for %j',
      (name) => {
        expect(sut.find(name)).toBeUndefined();
      },
    );
  });

  describe('server', () => {
    it.each([undefined, 'Etc/Unknown'])(
      'reads local time for the unknown zone %j',
      (serverZone) => {
        const zones = new TimeZones(serverZone);
        const now = new Date('2026-07-15T12:00:00Z');
        const time = zones.server.read(now);

        expect(zones.serverZoneKnown).toBe(false);
        expect(time.timeZone).toBe('Etc/Unknown');
        expect(time.currentTime.slice(11, 13)).toBe(String(now.getHours()).padStart(2, '0'));
        expect(Date.parse(time.iso)).toBe(now.getTime());
      },
    );

    it('resolves a known zone', () => {
      const zones = new TimeZones('Europe/Kyiv');

      expect(zones.serverZoneKnown).toBe(true);
      expect(zones.server).toBe(zones.find('Europe/Kyiv'));
    });
  });

  describe('suggest', () => {
    it.each([
      ['Europe/Pari', ['Europe/Paris']],
      ['America/New York', ['America/New_York']],
      ['america/newyork', ['America/New_York']],
      ['paris', ['Europe/Paris']],
      ['Berln', ['Europe/Berlin']],
    ])('suggests for %j', (name, expected) => {
      expect(sut.suggest(name)).toEqual(expected);
    });

    it('returns at most 3 names', () => {
      expect(sut.suggest('Etc/GMT+').length).toBeLessThanOrEqual(3);
    });

    it('returns nothing for a name far from every zone', () => {
      expect(sut.suggest('Xyzzy')).toEqual([]);
    });

    it('returns nothing for a name over 64 characters', () => {
      expect(sut.suggest(`Europe/Paris${'s'.repeat(60)}`)).toEqual([]);
    });

    it('skips the last part of Etc zones', () => {
      expect(sut.suggest('GMT+5')).not.toContain('Etc/GMT+5');
    });
  });
});

describe('editDistance', () => {
  it.each([
    ['paris', 'paris', 0],
    ['pari', 'paris', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('is the Levenshtein distance of %j and %j', (a, b, distance) => {
    expect(editDistance(a, b, 5)).toBe(distance);
  });

  it('stops at max + 1', () => {
    expect(editDistance('abcdef', 'uvwxyz', 2)).toBe(3);
  });
});
