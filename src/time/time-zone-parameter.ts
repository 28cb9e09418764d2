import { isLosslessNumber } from 'lossless-json';

import { badTimeZone, quote, TIME_ZONE_FIELD } from './time-zone-errors.js';

/**
 * Returns the time zone name sent in the query string or the body, or undefined when neither has
 * one. A missing field, an empty string and null all mean no zone. Any other value that is not a
 * string, or two different names, is a 400. The rest of the body is not read, and a body that is
 * not a JSON object or a form has no `timezone`.
 */
export function requestedTimeZone(query: unknown, body?: unknown): string | undefined {
  const fromQuery = nameIn(fieldOf(query), 'the query string');
  const fromBody = nameIn(fieldOf(body), 'the body');
  if (
    fromQuery !== undefined &&
    fromBody !== undefined &&
    fromQuery.toLowerCase() !== fromBody.toLowerCase()
  ) {
    throw badTimeZone(
      `timezone was sent in both the query string (${quote(fromQuery)}) and the body (${quote(fromBody)}). ` +
        'Send it once.',
    );
  }

  return fromQuery ?? fromBody;
}

/** Reads `timezone` from a query object or a parsed body, which may be of any JSON type. */
function fieldOf(container: unknown): unknown {
  if (
    typeof container !== 'object' ||
    container === null ||
    !Object.hasOwn(container, TIME_ZONE_FIELD)
  ) {
    return undefined;
  }

  return (container as Record<string, unknown>)[TIME_ZONE_FIELD];
}

function nameIn(value: unknown, place: 'the query string' | 'the body'): string | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }

  if (typeof value === 'string') {
    return value;
  }

  if (Array.isArray(value) && place === 'the query string') {
    throw badTimeZone('timezone was sent more than once in the query string. Send one name.');
  }

  throw badTimeZone(
    `timezone must be a string with an IANA time zone name such as "Europe/Paris"; got ${describe(value)} in ${place}.`,
  );
}

function describe(value: unknown): string {
  if (typeof value === 'number' || isLosslessNumber(value)) {
    return `the number ${String(value)}`;
  }

  if (typeof value === 'boolean') {
    return `the boolean ${value}`;
  }

  return Array.isArray(value) ? 'an array' : 'an object';
}
