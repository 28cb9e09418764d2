import { AddressInfo } from 'node:net';

import { jest } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { createApp } from '../../src/app.factory.js';
import { Clock } from '../../src/common/clock.js';
import { loadEnvironment } from '../../src/config/environment.js';
import { checksum } from '../../src/keys/api-key-format.js';
import { CreateKeyOptions, KeysService } from '../../src/keys/keys.service.js';
import { createTestDatabase, TestDatabase } from './test-database.js';

export interface TestServer {
  app: NestFastifyApplication;
  baseUrl: string;
  /** The database the server uses. Pass it to `startTestServer` to reopen it after `close()`. */
  database: TestDatabase;
  /** Mints a key through the service, as the CLI would, and returns it. */
  mintKey(options?: Partial<CreateKeyOptions>): Promise<{ id: string; key: string }>;
  /** Pins the injected clock to `time` until the server is closed. */
  pinClock(time: Date | string): void;
  /** Stops the app. The database stays until `remove()`. */
  close(): Promise<void>;
  /** Stops the app and deletes the database, unless the test passed that database in. */
  remove(): Promise<void>;
}

/**
 * Starts the real app on 127.0.0.1 and a free port. Without `database` it creates a new database
 * of the engine that TEST_DATABASE selects. Pass the `database` of a closed server to reopen it.
 * `environment` is applied last, so a test can set REDIS_URL, which the database clears.
 */
export async function startTestServer(
  options: {
    database?: TestDatabase;
    environment?: Record<string, string>;
    logger?: LoggerService;
  } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const ownsDatabase = options.database === undefined;
  const environment = loadEnvironment(
    {
      LOG_LEVEL: 'fatal',
      AUTH_FAILURE_LIMIT: '100000',
      BURST_LIMIT: '100000',
      ...database.environment,
      ...options.environment,
    },
    '/nonexistent/.env',
  );

  let app: NestFastifyApplication;
  try {
    app = await createApp(environment, { logger: options.logger });
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    if (ownsDatabase) {
      await database.remove();
    }
    throw error;
  }

  const { port } = app.getHttpServer().address() as AddressInfo;
  let closed = false;

  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      await app.close();
    }
  };

  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    database,
    mintKey: async (keyOptions = {}) =>
      app.get(KeysService).create({ name: 'test', ...keyOptions }),
    pinClock: (time) => {
      const pinned = new Date(time);
      jest.spyOn(app.get(Clock), 'now').mockImplementation(() => new Date(pinned));
    },
    close,
    remove: async () => {
      await close();
      if (ownsDatabase) {
        await database.remove();
      }
    },
  };
}

/** Sends a request and returns the status, headers and parsed JSON body (or the raw text). */
export async function request(
  baseUrl: string,
  path: string,
  init: {
    method?: string;
    key?: string;
    headers?: Record<string, string>;
    body?: string;
    json?: unknown;
  } = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key !== undefined) {
    headers.authorization = init.key;
  }

  let body = init.body;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  }

  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'POST',
    headers,
    body,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }

  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** An admin token for tests that start a server with ADMIN_TOKEN. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';

/** Calls an /admin/keys route with the admin token, or with `token` when given. */
export function adminRequest(
  server: Pick<TestServer, 'baseUrl'>,
  path: string,
  init: { method?: string; json?: unknown; token?: string } = {},
) {
  return request(server.baseUrl, `/admin/keys${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.token ?? TEST_ADMIN_TOKEN}` },
    json: init.json,
  });
}

/** POSTs a raw JSON text to /check-prime, so big integers are sent as bare numbers. */
export function checkPrime(server: Pick<TestServer, 'baseUrl'>, key: string, rawJson: string) {
  return request(server.baseUrl, '/check-prime', {
    key,
    headers: { 'content-type': 'application/json' },
    body: rawJson,
  });
}

/**
 * Returns `key` with its id or secret replaced and a valid checksum, so the key passes the shape
 * check and reaches the database and bcrypt.
 */
export function forgeKey(key: string, replace: { id?: string; secret?: string }): string {
  const [prefix, issued, id, secretAndChecksum] = key.split('_');
  const secret = replace.secret ?? secretAndChecksum.slice(0, -6);
  const body = `${prefix}_${issued}_${replace.id ?? id}_${secret}`;

  return `${body}${checksum(body)}`;
}
