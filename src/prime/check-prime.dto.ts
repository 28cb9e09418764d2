import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ValidateBy, ValidationArguments } from 'class-validator';
import { isLosslessNumber } from 'lossless-json';

/** An integer from the request, as decimal text, with the JSON form it arrived in. */
export class IntegerInput {
  constructor(
    readonly text: string,
    readonly form: 'number' | 'string',
  ) {}
}

const INTEGER_TEXT = /^-?[0-9]+$/;

/**
 * Example values for the OpenAPI document. A bare number example stays below 2^53 because
 * Swagger UI parses examples with JSON.parse, which would round a larger one.
 */
export const SAFE_PRIME_EXAMPLE = 2147483647;
export const BIG_PRIME_EXAMPLE = '170141183460469231731687303715884105727';

/** Turns a JSON number or digit string into an IntegerInput; leaves any other value for the validator to report. */
function toIntegerInput(value: unknown): unknown {
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    return new IntegerInput(String(value), 'number');
  }

  if (isLosslessNumber(value) && INTEGER_TEXT.test(value.value)) {
    return new IntegerInput(value.value, 'number');
  }

  if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    return new IntegerInput(value, 'string');
  }

  return value;
}

function describeValue(value: unknown): string {
  if (isLosslessNumber(value)) {
    return value.value;
  }

  if (Array.isArray(value)) {
    return 'an array';
  }

  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }

  return typeof value === 'object' && value !== null ? 'an object' : String(value);
}

function integerInputMessage({ value }: ValidationArguments): string {
  if (value === undefined) {
    return 'number is required, for example {"number": 7}';
  }

  return `number must be an integer, sent as a JSON number or a string of decimal digits (for example 7 or "7"); got ${describeValue(value)}`;
}

export class CheckPrimeDto {
  /** Shown in the error for a body that is not a JSON object. */
  static readonly example = '{"number": 7}';

  @ApiProperty({
    description:
      'The integer to test. Send any size as a bare JSON number (it is parsed without rounding) or as a string of ' +
      'decimal digits, optionally with a leading minus sign. Numbers below 2 are neither prime nor composite.',
    oneOf: [
      { type: 'integer', example: SAFE_PRIME_EXAMPLE },
      {
        type: 'string',
        pattern: '^-?[0-9]+$',
        example: BIG_PRIME_EXAMPLE,
      },
    ],
    example: SAFE_PRIME_EXAMPLE,
  })
  @Transform(({ obj }: { obj: Record<string, unknown> }) => toIntegerInput(obj.number))
  @ValidateBy({
    name: 'isIntegerInput',
    validator: {
      validate: (value) => value instanceof IntegerInput,
      defaultMessage: integerInputMessage,
    },
  })
  number!: IntegerInput;
}
