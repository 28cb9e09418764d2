import type { RateLimitInfo } from './types.js';

/** Base class of every error the client throws, so callers can catch them all with one check. */
export class PrimetimeError extends Error {
  override name = 'PrimetimeError';
}

/** An argument was rejected before any request was sent. `field` names the argument at fault. */
export class InvalidInputError extends PrimetimeError {
  override name = 'InvalidInputError';

  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** The fields the client reads from an error body; the server may send more. */
export interface ErrorBody {
  statusCode?: number;
  error?: string;
  message?: string;
  field?: string;
  reason?: string;
  window?: string;
  limit?: number;
  windowSeconds?: number;
  retryAfter?: number;
  [extra: string]: unknown;
}

/**
 * The server responded with an HTTP status outside 200-299. `message` is the server's message, or
 * the status line when the body is not a JSON error.
 */
export class ApiError extends PrimetimeError {
  override name = 'ApiError';

  /** The request field at fault, when the server named one (such as `number`). */
  readonly field?: string;
  /** On 429: which kind of limit was hit, `quota`, `burst` or `auth-failures`. */
  readonly reason?: string;
  /** On 429: the window that was exceeded, `hour`, `day`, `burst` or `auth-failures`. */
  readonly window?: string;

  constructor(
    readonly status: number,
    message: string,
    /** The parsed JSON body, or undefined when the body was not JSON. */
    readonly body: ErrorBody | undefined,
    /** Seconds to wait before retrying, from Retry-After or the body's `retryAfter` (429, 503). */
    readonly retryAfter: number | undefined,
    /** The rate-limit headers of the response, when it had any. */
    readonly rateLimit: RateLimitInfo | undefined,
  ) {
    super(message);
    this.field = typeof body?.field === 'string' ? body.field : undefined;
    this.reason = typeof body?.reason === 'string' ? body.reason : undefined;
    this.window = typeof body?.window === 'string' ? body.window : undefined;
  }
}

/** No HTTP response arrived: the connection failed or broke, or the URL could not be reached. */
export class NetworkError extends PrimetimeError {
  override name = 'NetworkError';
}

/** No complete response arrived within `timeoutMs`. */
export class TimeoutError extends NetworkError {
  override name = 'TimeoutError';

  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }
}
