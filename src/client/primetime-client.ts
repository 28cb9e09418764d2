import {
  ApiError,
  InvalidInputError,
  NetworkError,
  PrimetimeError,
  TimeoutError,
} from './errors.js';
import type { ErrorBody } from './errors.js';
import type { CheckPrimeResult, CurrentTime, RateLimitInfo } from './types.js';

export interface PrimetimeClientOptions {
  /** Base URL of the server, such as `http://127.0.0.1:5000`. A path prefix such as `/api` is kept. */
  baseUrl: string;
  apiKey: string;
  /** Time limit of one request, body included, in milliseconds (default 30000). */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

const INTEGER_TEXT = /^-?[0-9]+$/;

/**
 * A client for the primetime API on Node's global `fetch`. Numbers travel as strings of
 * decimal digits in both directions, so no digit is lost to JSON's doubles.
 *
 * Every method throws `InvalidInputError` before sending when an argument is invalid, `ApiError`
 * for a response outside 200-299, and `NetworkError` (or its subclass `TimeoutError`) when no
 * complete response arrived.
 */
export class PrimetimeClient {
  /**
   * The rate-limit headers of the most recent response, error responses included; undefined
   * before the first response. With several requests in flight it belongs to the one that
   * finished last, so read `ApiError.rateLimit` for the headers of a failed request.
   */
  lastRateLimit: RateLimitInfo | undefined;

  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;

  constructor(options: PrimetimeClientOptions) {
    this.baseUrl = parseBaseUrl(options.baseUrl);

    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
      throw new InvalidInputError(
        'apiKey is missing or empty. Pass an API key, such as one from "npm run cli -- keys create".',
        'apiKey',
      );
    }
    this.apiKey = options.apiKey.trim();

    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new InvalidInputError(
        `timeoutMs must be a positive integer of milliseconds, got ${String(timeoutMs)}.`,
        'timeoutMs',
      );
    }
    this.timeoutMs = timeoutMs;
  }

  /**
   * Returns the current time from `/get-current-time`, in `timezone` (an IANA name such as
   * `Europe/Paris`) when given, which is sent as the `timezone` query parameter.
   */
  async getCurrentTime(options: { timezone?: string } = {}): Promise<CurrentTime> {
    let path = '/get-current-time';
    if (options.timezone !== undefined) {
      if (typeof options.timezone !== 'string' || options.timezone.trim() === '') {
        throw new InvalidInputError(
          'timezone must be an IANA time zone name such as Europe/Paris, got an empty value.',
          'timezone',
        );
      }

      path += `?${new URLSearchParams({ timezone: options.timezone }).toString()}`;
    }

    const { body } = await this.send('GET', path);

    return body as CurrentTime;
  }

  /**
   * Tests whether `n` is prime with `/check-prime`. `n` is a bigint, or a string of decimal digits
   * with an optional leading `-`; the result's `number` is the same digits as a string.
   */
  async checkPrime(n: bigint | string): Promise<CheckPrimeResult> {
    const digits = integerText(n);
    const { body, text } = await this.send('POST', '/check-prime', { number: digits });
    const result = body as CheckPrimeResult & { number: unknown };

    return { ...result, number: echoedNumber(result.number, text, digits) };
  }

  /** Sends one request and returns the parsed body of a 2xx response; throws for anything else. */
  private async send(
    method: 'GET' | 'POST',
    path: string,
    json?: unknown,
  ): Promise<{ body: unknown; text: string }> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${this.apiKey}`,
    };
    if (json !== undefined) {
      headers['content-type'] = 'application/json';
    }

    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw this.transportError(error, method, url);
    }

    const rateLimit = readRateLimit(response.headers);
    this.lastRateLimit = rateLimit;
    const body = parseJson(text);
    if (!response.ok) {
      throw apiError(response, body, rateLimit);
    }

    if (body === undefined || typeof body !== 'object' || body === null) {
      throw new PrimetimeError(
        `${method} ${url} returned ${response.status} with a body that is not a JSON object: ${preview(text)}`,
      );
    }

    return { body, text };
  }

  private transportError(error: unknown, method: string, url: string): NetworkError {
    const name = (error as { name?: unknown } | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new TimeoutError(
        `${method} ${url} timed out after ${this.timeoutMs} ms without a complete response.`,
        this.timeoutMs,
      );
    }

    // fetch rejects with "TypeError: fetch failed" and puts the reason (ECONNREFUSED...) in cause.
    const cause = (error as { cause?: { message?: unknown; code?: unknown } } | undefined)?.cause;
    const reason = typeof cause?.code === 'string' ? cause.code : String(cause?.message ?? error);

    return new NetworkError(`${method} ${url} failed before a response arrived: ${reason}.`, {
      cause: error,
    });
  }
}

function parseBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new InvalidInputError(
      `baseUrl must be an absolute http or https URL such as http://127.0.0.1:5000, got ${JSON.stringify(baseUrl)}.`,
      'baseUrl',
    );
  }

  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(
      `baseUrl must use http or https, got ${JSON.stringify(baseUrl)}.`,
      'baseUrl',
    );
  }

  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Returns `n` as decimal text, or throws InvalidInputError for anything but an integer. */
function integerText(n: unknown): string {
  if (typeof n === 'bigint') {
    return n.toString();
  }

  if (typeof n === 'string' && INTEGER_TEXT.test(n)) {
    return n;
  }

  if (typeof n === 'number') {
    // A double above 2^53 may already have lost digits, so the caller must choose the exact value.
    throw new InvalidInputError(
      `number must be a bigint or a string of decimal digits, got the number ${n}. Pass BigInt(${n}) or "${n}" if that value is exact.`,
      'number',
    );
  }

  let described: string = typeof n;
  if (typeof n === 'string') {
    described = JSON.stringify(n.length > 40 ? `${n.slice(0, 40)}…` : n);
  }

  throw new InvalidInputError(
    `number must be a bigint or a string of decimal digits with an optional leading "-", got ${described}.`,
    'number',
  );
}

/**
 * Returns the echoed `number` as digits. The client sends a string and gets one back, but a bare
 * JSON number was rounded by JSON.parse above 2^53, so its digits are read from the raw text.
 */
function echoedNumber(parsed: unknown, text: string, sent: string): string {
  if (typeof parsed === 'string') {
    return parsed;
  }

  const bare = /"number"\s*:\s*(-?[0-9]+)/.exec(text);

  return bare?.[1] ?? sent;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function apiError(
  response: Response,
  body: unknown,
  rateLimit: RateLimitInfo | undefined,
): ApiError {
  const errorBody =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as ErrorBody)
      : undefined;
  const message =
    typeof errorBody?.message === 'string'
      ? errorBody.message
      : `The server returned ${response.status} ${response.statusText}.`.replace(' .', '.');

  return new ApiError(
    response.status,
    message,
    errorBody,
    retryAfterSeconds(response.headers.get('retry-after'), errorBody?.retryAfter),
    rateLimit,
  );
}

/** Reads Retry-After as seconds (or an HTTP date), falling back to the body's `retryAfter`. */
function retryAfterSeconds(header: string | null, fromBody: unknown): number | undefined {
  if (header !== null) {
    const trimmed = header.trim();
    if (/^[0-9]+$/.test(trimmed)) {
      return Number(trimmed);
    }

    const date = Date.parse(trimmed);
    if (!Number.isNaN(date)) {
      return Math.max(0, Math.ceil((date - Date.now()) / 1000));
    }
  }

  return typeof fromBody === 'number' && Number.isFinite(fromBody) ? fromBody : undefined;
}

function readRateLimit(headers: Headers): RateLimitInfo | undefined {
  const info: RateLimitInfo = {
    policy: headers.get('ratelimit-policy') ?? undefined,
    rateLimit: headers.get('ratelimit') ?? undefined,
    limit: integerHeader(headers.get('x-ratelimit-limit')),
    remaining: integerHeader(headers.get('x-ratelimit-remaining')),
    reset: integerHeader(headers.get('x-ratelimit-reset')),
  };

  return Object.values(info).some((value) => value !== undefined) ? info : undefined;
}

function integerHeader(value: string | null): number | undefined {
  return value !== null && /^[0-9]+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

function preview(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}
