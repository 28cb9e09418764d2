import {
  secondsUntilWindowEnd,
  usedInCurrentWindow,
  windowEnd,
  windowStart,
} from './quota-window.js';

const at = (iso: string): number => Date.parse(iso);

describe('quota windows', () => {
  it('aligns hours to :00 UTC and days to 00:00 UTC', () => {
    expect(windowStart('hour', at('2026-12-04T21:59:59.999Z'))).toBe(at('2026-12-04T21:00:00Z'));
    expect(windowStart('day', at('2026-12-04T23:59:59.999Z'))).toBe(at('2026-12-04T00:00:00Z'));
    expect(windowEnd('day', at('2026-12-04T23:59:59.999Z'))).toBe(at('2026-12-05T00:00:00Z'));
  });

  it('puts 23:59:59 and 00:00:00 UTC in different days', () => {
    expect(windowStart('day', at('2026-12-04T23:59:59Z'))).not.toBe(
      windowStart('day', at('2026-12-05T00:00:00Z')),
    );
  });

  it('is not moved by daylight saving time, because it works in UTC', () => {
    expect(
      windowEnd('day', at('2026-03-29T00:30:00Z')) - windowStart('day', at('2026-03-29T00:30:00Z')),
    ).toBe(86_400_000);
  });

  it('rounds the seconds to the window end up, and to at least 1', () => {
    expect(secondsUntilWindowEnd('hour', at('2026-12-04T21:59:58.500Z'))).toBe(2);
    expect(secondsUntilWindowEnd('hour', at('2026-12-04T21:00:00Z'))).toBe(3600);
    expect(secondsUntilWindowEnd('hour', at('2026-12-04T21:59:59.999Z'))).toBe(1);
  });

  it('counts usage from an ended window as zero', () => {
    const stored = {
      period: 'day' as const,
      limit: 5,
      used: 5,
      windowStart: at('2026-12-04T00:00:00Z'),
    };

    expect(usedInCurrentWindow(stored, at('2026-12-04T12:00:00Z'))).toBe(5);
    expect(usedInCurrentWindow(stored, at('2026-12-05T00:00:00Z'))).toBe(0);
  });
});
