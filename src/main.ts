import 'reflect-metadata';

import cluster from 'node:cluster';
import type { Server } from 'node:http';

import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

import { createApp } from './app.factory.js';
import { runClusterPrimary } from './cluster.js';
import { Environment, loadEnvironment, redactUrl } from './config/environment.js';
import { KeysService } from './keys/keys.service.js';

const logger = new Logger('Bootstrap');

async function main(): Promise<void> {
  const environment = loadEnvironment();
  if (environment.WORKERS > 1 && cluster.isPrimary) {
    runClusterPrimary(environment);
    return;
  }

  await bootstrap(environment);
}

async function bootstrap(environment: Environment): Promise<void> {
  const app = await createApp(environment);
  await app.init();
  const created = await app.get(KeysService).createDefaultKeyIfNone();
  await app.listen({ port: environment.PORT, host: environment.HOST });
  closeGracefullyOnSignals(app, environment.SHUTDOWN_TIMEOUT_MS);

  const url = `http://${environment.HOST.includes(':') ? `[${environment.HOST}]` : environment.HOST}:${environment.PORT}`;
  logger.log(startupFields(environment), `Listening on ${url}; Swagger UI at ${url}/docs`);

  if (created) {
    // Written to stdout directly, not through the logger, so no log pipeline stores the key.
    process.stdout.write(
      [
        '',
        `No API key existed, so one named "${created.name}" was created. It is shown only this once:`,
        '',
        `  ${created.key}`,
        '',
        `Try it: curl -X POST -H "Authorization: ${created.key}" ${url}/get-current-time`,
        'Create more keys with: npm run cli -- keys create --name NAME',
        '',
        '',
      ].join('\n'),
    );
  }
}

function startupFields(environment: Environment): Record<string, unknown> {
  return {
    port: environment.PORT,
    host: environment.HOST,
    database: environment.DATABASE_URL
      ? redactUrl(environment.DATABASE_URL)
      : environment.DATABASE_PATH,
    redis: environment.REDIS_URL ? redactUrl(environment.REDIS_URL) : 'none',
    ...(cluster.isWorker ? { worker: cluster.worker?.id } : {}),
    quotaHourlyLimit: environment.QUOTA_HOURLY_LIMIT ?? 'none',
    quotaDailyLimit: environment.QUOTA_DAILY_LIMIT ?? 'none',
    burstLimit: environment.BURST_LIMIT,
    burstWindowMs: environment.BURST_WINDOW_MS,
  };
}

/**
 * On SIGTERM or SIGINT: stops accepting connections, closes idle keep-alive connections, waits
 * for the requests in flight (at most `timeoutMs`, then closes every connection), closes the app
 * and its database, and exits with 0. The app's own shutdown hooks run only after the drain,
 * because they stop the primality worker pool that requests in flight may still use.
 */
function closeGracefullyOnSignals(app: NestFastifyApplication, timeoutMs: number): void {
  let started = false;
  const shutdown = async (reason: string): Promise<void> => {
    if (started) {
      return;
    }
    started = true;

    logger.log(`Received ${reason}; draining requests in flight for up to ${timeoutMs} ms`);
    const startedAt = Date.now();
    const forced = await drainHttpServer(app.getHttpServer(), timeoutMs);
    await app.close();
    if (forced) {
      logger.warn(
        `Drain timed out after ${timeoutMs} ms; closed the remaining connections and the database`,
      );
    } else {
      logger.log(`Drained in ${Date.now() - startedAt} ms; closed the database`);
    }
    process.exit(0);
  };

  const startShutdown = (reason: string): void => {
    shutdown(reason).catch((error: unknown) => {
      logger.error(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, startShutdown);
  }
  // A cluster worker whose primary is gone drains and exits instead of serving on alone.
  if (cluster.isWorker) {
    process.once('disconnect', () => startShutdown('the cluster primary disconnected'));
  }
}

/**
 * Closes the listening socket and waits until every connection is closed. Node closes idle
 * keep-alive connections at once, and this closes each one as soon as its response is sent.
 * Resolves with true when `timeoutMs` ran out and the remaining connections were destroyed.
 */
async function drainHttpServer(server: Server, timeoutMs: number): Promise<boolean> {
  let forced = false;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A connection whose response finished is idle until the client sends again, which would
  // keep it open for the keep-alive timeout (72 s in Fastify), so idle ones are closed each tick.
  const reaper = setInterval(() => server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => {
    forced = true;
    server.closeAllConnections();
  }, timeoutMs);

  await closed;
  clearInterval(reaper);
  clearTimeout(deadline);

  return forced;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `primetime failed to start: ${error instanceof Error ? error.message : String(error)}\n` +
      ((error as { code?: unknown }).code === 'EADDRINUSE'
        ? 'Another process uses that port. Stop it, or set PORT to a free port (PORT=5001 npm start).\n'
        : ''),
  );
  process.exit(1);
});
