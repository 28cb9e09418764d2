/**
 * The rate-limit headers of one response. Each field is undefined when its header was absent.
 * The server describes its headers in the README section "Quotas and rate limits".
 */
export interface RateLimitInfo {
  /** `RateLimit-Policy` as sent, such as `"hour";q=100;w=3600, "burst";q=20;w=1`. */
  policy?: string;
  /** `RateLimit` as sent: the tightest window, such as `"day";r=1;t=3945`. */
  rateLimit?: string;
  /** `X-RateLimit-Limit`: requests allowed in the tightest window. */
  limit?: number;
  /** `X-RateLimit-Remaining`: requests left in that window. */
  remaining?: number;
  /** `X-RateLimit-Reset`: when that window resets, as a Unix time in seconds. */
  reset?: number;
}

/** The response of `/get-current-time`. */
export interface CurrentTime {
  /** Local time of the zone as `YYYY-MM-DD HH:MM:SS`. */
  currentTime: string;
  /** The same instant in ISO 8601 with the UTC offset. */
  iso: string;
  /** IANA name of the zone. */
  timeZone: string;
  /** The same instant in Unix milliseconds. */
  unixMs: number;
  // NOTE: the fields below come with the server's `timezone` parameter. They are optional because
  // a server without it does not send them, and their types follow its announced design.
  /** The same instant in UTC, ISO 8601. */
  utc?: string;
  /** The same instant in Unix seconds. */
  unixSeconds?: number;
  /** Offset of the zone from UTC at that instant, such as `+01:00`. */
  utcOffset?: string;
  /** Abbreviation of the zone at that instant, such as `CET`. */
  abbreviation?: string;
  /** Whether daylight saving time is in effect at that instant. */
  dst?: boolean;
  /** Version of the time zone database the server used, such as `2025b`. */
  tzdataVersion?: string;
}

export type PrimalityResult = 'prime' | 'probable_prime' | 'composite' | 'neither';

/** The response of `/check-prime`. */
export interface CheckPrimeResult {
  /** The number as sent, as a string of decimal digits with every digit. */
  number: string;
  isPrime: boolean;
  result: PrimalityResult;
  /** The method that decided the result, such as `trial_division` or `miller_rabin_fixed_bases`. */
  method: string;
  /** Evidence for a composite: a prime factor, or a Miller-Rabin witness base, in decimal. */
  witness?: { type: 'factor' | 'miller_rabin_base'; value: string };
  /** Bit length of the absolute value. */
  bits: number;
  /** Decimal digits of the absolute value. */
  digits: number;
}
