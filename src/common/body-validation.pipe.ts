import {
  ArgumentMetadata,
  HttpStatus,
  Injectable,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';

import { ApiException } from './api-exception.js';
import { InvalidJsonBody } from './json-body.js';

/**
 * The global validation pipe: whitelists DTO fields, rejects unknown ones, and turns the first
 * failure into a 400 whose body names the field. A body that is not a JSON object is rejected
 * with a message that lists the fields the route expects.
 */
@Injectable()
export class BodyValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      validationError: { target: true, value: true },
      transform: true,
      exceptionFactory: (errors) => toApiException(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype } = metadata;
    if (
      metadata.type === 'body' &&
      metatype &&
      typeof metatype === 'function' &&
      !isPrimitiveType(metatype)
    ) {
      if (value instanceof InvalidJsonBody) {
        throw new ApiException(
          HttpStatus.BAD_REQUEST,
          `Request body is not valid JSON (${value.reason}). Send a JSON object with ${describeFields(metatype)}.`,
          { field: 'body' },
        );
      }

      if (value === undefined && (metatype as { bodyIsOptional?: boolean }).bodyIsOptional) {
        return super.transform({}, metadata);
      }

      if (typeof value === 'string') {
        throw new ApiException(
          HttpStatus.BAD_REQUEST,
          `Request body must be JSON sent with "Content-Type: application/json": an object with ${describeFields(metatype)}.`,
          { field: 'body' },
        );
      }

      if (
        value === undefined ||
        value === null ||
        typeof value !== 'object' ||
        Array.isArray(value)
      ) {
        throw new ApiException(
          HttpStatus.BAD_REQUEST,
          `Request body must be a JSON object with ${describeFields(metatype)}.`,
          {
            field: 'body',
          },
        );
      }
    }

    return super.transform(value, metadata);
  }
}

function isPrimitiveType(metatype: unknown): boolean {
  return [String, Number, Boolean, Array, Object].includes(metatype as never);
}

function describeFields(metatype: abstract new (...args: never[]) => unknown): string {
  const names = [
    ...new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(metatype, '', true, false)
        .map((m) => m.propertyName),
    ),
  ];
  const example = (metatype as { example?: string }).example;
  const fields = names.length === 1 ? `the field ${names[0]}` : `the fields ${names.join(', ')}`;

  return example ? `${fields}, for example ${example}` : fields;
}

function toApiException(errors: ValidationError[]): ApiException {
  const first = errors[0];
  let message = first ? Object.values(first.constraints ?? {})[0] : undefined;
  if (first?.constraints?.whitelistValidation && first.target) {
    const metatype = first.target.constructor as abstract new (...args: never[]) => unknown;
    message = `${first.property} is not a field of this request. Send only ${describeFields(metatype)}.`;
  }

  return new ApiException(HttpStatus.BAD_REQUEST, message ?? 'Invalid request.', {
    field: first?.property,
  });
}
