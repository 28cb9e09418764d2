import { createHash, timingSafeEqual } from 'node:crypto';

import {
  CanActivate,
  ExecutionContext,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';

import { Environment } from '../config/environment.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';

interface AdminRequest {
  ip: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Guards the admin routes with ADMIN_TOKEN, sent as `Authorization: Bearer <token>` or
 * `X-Admin-Token: <token>`. The SHA-256 digests of the presented and the configured token are
 * compared with timingSafeEqual, so the time taken does not reveal how much of a guess matched.
 * Without ADMIN_TOKEN the routes return 404, as if they did not exist.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expectedDigest: Buffer | null;

  constructor(
    environment: Environment,
    private readonly failures: AuthFailureLimiter,
  ) {
    this.expectedDigest = environment.ADMIN_TOKEN ? sha256(environment.ADMIN_TOKEN) : null;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    if (!this.expectedDigest) {
      throw new NotFoundException(`Cannot ${request.method} ${request.url.split('?')[0]}`);
    }

    this.failures.assertNotBlocked(request.ip);
    const presented = adminTokenOf(request.headers);
    if (presented === null || !timingSafeEqual(sha256(presented), this.expectedDigest)) {
      await this.failures.recordFailure(request.ip);
      throw new UnauthorizedException(
        presented === null
          ? 'Missing admin token. Send it as "Authorization: Bearer <token>" or "X-Admin-Token: <token>".'
          : 'Invalid admin token.',
      );
    }

    return true;
  }
}

function adminTokenOf(headers: AdminRequest['headers']): string | null {
  const header = headers['x-admin-token'] ?? headers.authorization;
  const value = (Array.isArray(header) ? header[0] : header)?.trim().replace(/^Bearer\s+/i, '');

  return value ? value : null;
}
