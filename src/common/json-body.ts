import { LosslessNumber, parse, stringify } from 'lossless-json';

/**
 * Lossless JSON for request and response bodies. `JSON.parse` rounds integers above 2^53, so
 * `{"number": 172983479832623897492387592384682937659382477}` would lose digits. Here a JSON
 * number becomes a plain JS number only when that is exact, that is a safe integer written in
 * canonical form. Any other number stays a LosslessNumber that keeps its source text, such as
 * "7.5", "1e3" or "9007199254740993". Responses are written with the matching serializer, which emits
 * LosslessNumber and bigint values as bare JSON numbers with every digit.
 */
export function parseJsonNumber(text: string): number | LosslessNumber {
  const value = Number(text);

  return Number.isSafeInteger(value) && String(value) === text ? value : new JsonNumber(text);
}

/**
 * A LosslessNumber that can be constructed without arguments. class-transformer copies nested
 * objects by calling their constructor with none and then assigning the fields, and
 * LosslessNumber's own constructor throws on that.
 */
class JsonNumber extends LosslessNumber {
  constructor(value = '0') {
    super(value);
  }
}

/** Marks a request body that was sent as JSON but does not parse; validation reports it. */
export class InvalidJsonBody {
  constructor(readonly reason: string) {}
}

/** Parses a JSON request body. An empty or blank body is `undefined`, not an error. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') {
    return undefined;
  }

  try {
    return parse(text, null, parseJsonNumber);
  } catch (error) {
    return new InvalidJsonBody(error instanceof Error ? error.message : String(error));
  }
}

export function serializeJson(payload: unknown): string {
  return stringify(payload) ?? 'null';
}

export { LosslessNumber };
