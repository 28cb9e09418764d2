import { ZoneClock } from './zone-clock.js';

/**
 * Maximum length of a name that is looked up. The longest IANA name,
 * America/Argentina/ComodRivadavia, has 32 characters. Longer input is rejected without asking
 * Intl or computing suggestions.
 */
const MAX_NAME_LENGTH = 64;

/**
 * The characters of IANA names, which start with a letter. A UTC offset such as "+01:00" is not
 * a name.
 */
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9/_+-]*$/;

const MAX_SUGGESTIONS = 3;

/** A known zone name with the lowercase forms that suggestions compare against. */
interface Candidate {
  name: string;
  key: string;
  /**
   * The last part of the name, such as "new_york". Undefined for Etc zones, whose signs are
   * inverted: Etc/GMT+5 is five hours behind UTC.
   */
  city?: string;
}

/**
 * The zones the server can read, by name. Names are matched case-insensitively, and any name that
 * Intl accepts works, aliases included. Each zone gets one ZoneClock, kept for the life of the
 * process. A name is cached only once Intl has accepted it, so both maps stay within the fixed set
 * of names that Intl accepts, a few hundred.
 */
export class TimeZones {
  /** The server's own zone: the TZ environment variable, or the system's zone. */
  readonly server: ZoneClock;

  /** Whether Intl accepts the name of the server's zone; see the constructor. */
  readonly serverZoneKnown: boolean;

  /** Clocks by the lowercased name as sent. */
  private readonly byName = new Map<string, ZoneClock>();

  /** Clocks by the zone name Intl resolves to, so that aliases share one clock. */
  private readonly byZone = new Map<string, ZoneClock>();

  private candidates?: Candidate[];

  /**
   * `serverZone` is the name Intl resolves the process's zone to. On Node 20 an empty TZ resolves
   * to Etc/Unknown, which Intl rejects as a timeZone option, and an unknown TZ to undefined. ICU
   * computes local time in UTC in both cases, and the server clock then reads ICU's default zone
   * under the name Etc/Unknown.
   */
  constructor(serverZone: string | undefined) {
    const known = serverZone === undefined ? undefined : resolveZone(serverZone);
    this.serverZoneKnown = known !== undefined;
    this.server = known ? this.clockOf(known) : new ZoneClock('Etc/Unknown', undefined);
  }

  /** Returns the clock of the zone `name`, or undefined when Intl does not accept the name. */
  find(name: string): ZoneClock | undefined {
    const key = name.toLowerCase();
    const cached = this.byName.get(key);
    if (cached) {
      return cached;
    }

    const zone = resolveZone(name);
    if (zone === undefined) {
      return undefined;
    }

    const clock = this.clockOf(zone);
    this.byName.set(key, clock);

    return clock;
  }

  /**
   * Returns up to 3 known names close to `name` by edit distance, closest first, ignoring case and
   * reading spaces as underscores. Only names within one edit of the closest are kept. A name
   * without a slash is compared with the last part of each zone name, so "paris" suggests
   * Europe/Paris. The known names are Intl's list, which contains only canonical names, plus UTC
   * and the Etc zones.
   */
  suggest(name: string): string[] {
    if (name.length > MAX_NAME_LENGTH) {
      return [];
    }

    const requested = comparable(name);
    const whole = requested.includes('/');
    const maxDistance = Math.min(4, Math.max(2, Math.floor(requested.length / 4)));
    const matches: { name: string; distance: number }[] = [];
    for (const candidate of this.knownNames()) {
      const target = whole ? candidate.key : candidate.city;
      if (target === undefined) {
        continue;
      }

      const distance = editDistance(requested, target, maxDistance);
      if (distance <= maxDistance) {
        matches.push({ name: candidate.name, distance });
      }
    }

    // Names more than one edit further than the best match are dropped, so that "paris" does not
    // suggest Antarctica/Davis.
    const best = Math.min(...matches.map((match) => match.distance));

    return matches
      .filter((match) => match.distance <= best + 1)
      .sort((a, b) => a.distance - b.distance || (a.name < b.name ? -1 : 1))
      .slice(0, MAX_SUGGESTIONS)
      .map((match) => match.name);
  }

  private clockOf(zone: string): ZoneClock {
    let clock = this.byZone.get(zone);
    if (!clock) {
      clock = new ZoneClock(zone, zone);
      this.byZone.set(zone, clock);
    }

    return clock;
  }

  private knownNames(): Candidate[] {
    this.candidates ??= [...new Set([...Intl.supportedValuesOf('timeZone'), ...fixedZones()])].map(
      (name) => ({
        name,
        key: comparable(name),
        city: name.startsWith('Etc/')
          ? undefined
          : comparable(name.slice(name.lastIndexOf('/') + 1)),
      }),
    );

    return this.candidates;
  }
}

/** Returns the name Intl resolves `name` to, or undefined when Intl rejects it. */
function resolveZone(name: string): string | undefined {
  if (name.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(name)) {
    return undefined;
  }

  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    // Intl throws a RangeError for an unknown zone.
    return undefined;
  }
}

/** Returns UTC and the Etc zones, which Intl accepts but leaves out of its list. */
function fixedZones(): string[] {
  const zones = ['UTC', 'Etc/UTC', 'Etc/GMT'];
  for (let hours = 1; hours <= 14; hours++) {
    if (hours <= 12) {
      zones.push(`Etc/GMT+${hours}`);
    }
    zones.push(`Etc/GMT-${hours}`);
  }

  return zones;
}

function comparable(name: string): string {
  return name.toLowerCase().replaceAll(' ', '_');
}

/**
 * Returns the Levenshtein distance between `a` and `b`, or `max + 1` as soon as it is known to be
 * larger than `max`.
 */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) {
    return max + 1;
  }

  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
      rowMin = Math.min(rowMin, current[j]);
    }
    if (rowMin > max) {
      return max + 1;
    }
    previous = current;
  }

  return Math.min(previous[b.length], max + 1);
}
