import { HttpStatus } from '@nestjs/common';

import { ApiException } from '../common/api-exception.js';

/** The request field that names a time zone, in the query string or the body. */
export const TIME_ZONE_FIELD = 'timezone';

/** Returns a 400 for the `timezone` field. */
export function badTimeZone(message: string): ApiException {
  return new ApiException(HttpStatus.BAD_REQUEST, message, { field: TIME_ZONE_FIELD });
}

/** Returns the 400 for a name that is not a known zone, with the closest known names. */
export function unknownTimeZone(name: string, suggestions: string[]): ApiException {
  const hint =
    suggestions.length > 0
      ? `Did you mean ${listOf(suggestions.map(quote))}?`
      : 'Send an IANA name such as "Europe/Paris", "America/New_York" or "UTC".';

  return new ApiException(
    HttpStatus.BAD_REQUEST,
    `timezone ${quote(name)} is not a known IANA time zone. ${hint}`,
    { field: TIME_ZONE_FIELD, body: { value: cut(name), suggestions } },
  );
}

/** Quotes a name for an error message, cut to 100 characters. */
export function quote(name: string): string {
  return JSON.stringify(cut(name));
}

function cut(name: string): string {
  return name.length > 100 ? `${name.slice(0, 100)}…` : name;
}

/** Joins ["a", "b", "c"] as "a, b or c". */
function listOf(items: string[]): string {
  return items.length > 1
    ? `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`
    : items[0];
}
