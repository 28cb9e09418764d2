export { DEFAULT_TIMEOUT_MS, PrimetimeClient } from './primetime-client.js';
export type { PrimetimeClientOptions } from './primetime-client.js';
export {
  ApiError,
  InvalidInputError,
  NetworkError,
  PrimetimeError,
  TimeoutError,
} from './errors.js';
export type { ErrorBody } from './errors.js';
export type { CheckPrimeResult, CurrentTime, PrimalityResult, RateLimitInfo } from './types.js';
