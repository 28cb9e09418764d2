import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { KeysService, VerifiedKey } from '../keys/keys.service.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';

const PUBLIC_ROUTE = 'primetime:public-route';
const VERIFIED_KEY = Symbol('primetime:verified-key');

export interface RequestWithKey {
  ip: string;
  headers: Record<string, string | string[] | undefined>;
  [VERIFIED_KEY]?: VerifiedKey;
}

/** Marks a route that needs no API key. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** Returns the verified key of the request, or undefined on a public route. */
export function requestKey(request: RequestWithKey): VerifiedKey | undefined {
  return request[VERIFIED_KEY];
}

/** Hands the handler the request's verified key (id and name), never the raw key. */
export const CurrentKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): VerifiedKey | undefined =>
    requestKey(context.switchToHttp().getRequest<RequestWithKey>()),
);

/**
 * Extracts the API key from `Authorization: <key>`, `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`. Returns null when neither header is present, and throws when the two
 * headers carry different keys.
 */
export function extractApiKey(headers: RequestWithKey['headers']): string | null {
  const authorization = singleHeader(headers.authorization);
  const apiKeyHeader = singleHeader(headers['x-api-key']);
  const fromAuthorization =
    authorization === undefined
      ? undefined
      : authorization
          .trim()
          .replace(/^Bearer\s+/i, '')
          .trim();
  const fromApiKeyHeader = apiKeyHeader?.trim();

  if (
    fromAuthorization !== undefined &&
    fromApiKeyHeader !== undefined &&
    fromAuthorization !== fromApiKeyHeader
  ) {
    throw new UnauthorizedException(
      'Two different API keys were sent. Send the key in one header only.',
    );
  }

  const key = fromAuthorization ?? fromApiKeyHeader;
  if (key === undefined || key === '') {
    return null;
  }

  return key;
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) {
      throw new UnauthorizedException('The API key header was sent more than once. Send it once.');
    }

    return value[0];
  }

  return value;
}

/**
 * Global guard: every route needs a valid, unrevoked, unexpired API key unless it is marked
 * `@Public()`. Each failure is a 401 whose message states what was wrong, and counts against the
 * client's address in AuthFailureLimiter, which turns away an address with too many failures.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: KeysService,
    private readonly failures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) {
      return true;
    }

    const request = context.switchToHttp().getRequest<RequestWithKey>();
    this.failures.assertNotBlocked(request.ip);
    try {
      request[VERIFIED_KEY] = await this.keys.verify(this.presentedKey(request));
    } catch (error) {
      if (error instanceof UnauthorizedException) {
        await this.failures.recordFailure(request.ip);
      }
      throw error;
    }

    return true;
  }

  private presentedKey(request: RequestWithKey): string {
    const presented = extractApiKey(request.headers);
    if (presented === null) {
      throw new UnauthorizedException(
        'Missing API key. Send it as "Authorization: <key>", "Authorization: Bearer <key>" or "X-API-Key: <key>".',
      );
    }

    return presented;
  }
}
