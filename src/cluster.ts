import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';

import { Logger } from '@nestjs/common';

import { Environment } from './config/environment.js';
import { createPino, nestLoggerFor } from './logging.js';

/** A worker that crashes sooner than this after listening is not restarted again. */
const MIN_WORKER_LIFETIME_MS = 5_000;
const RESTART_DELAY_MS = 1_000;

const logger = new Logger('Cluster');

/**
 * Runs the cluster primary for WORKERS > 1: forks the workers, which share the port through Node's
 * cluster module, restarts a worker that crashes while serving, and on SIGTERM or SIGINT passes
 * the signal on, waits until every worker has drained, and exits with 0. When a worker fails to
 * start, the others are stopped and the primary exits with 1, as a single server would.
 * The primary serves no requests and opens no database.
 */
export function runClusterPrimary(environment: Environment): void {
  Logger.overrideLogger(nestLoggerFor(createPino(environment)));
  const workerEnvironment = primeWorkersPerProcess(environment);
  const listeningSince = new Map<number, number>();
  let stopping = false;
  let exitCode = 0;

  const fork = (): Worker => cluster.fork(workerEnvironment);
  const stopAll = (signal: NodeJS.Signals): void => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) {
      worker?.process.kill(signal);
    }
  };

  cluster.on('listening', (worker) => {
    listeningSince.set(worker.id, Date.now());
    if (listeningSince.size === environment.WORKERS) {
      logger.log(`${environment.WORKERS} workers are listening on port ${environment.PORT}`);
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    const since = listeningSince.get(worker.id);
    listeningSince.delete(worker.id);
    if (!stopping) {
      const cause = signal ? `signal ${signal}` : `code ${code}`;
      if (since === undefined || Date.now() - since < MIN_WORKER_LIFETIME_MS) {
        logger.error(`Worker ${worker.id} exited with ${cause} before it could serve; stopping`);
        exitCode = 1;
        stopAll('SIGTERM');
      } else {
        logger.error(`Worker ${worker.id} exited with ${cause}; starting another`);
        setTimeout(() => !stopping && fork(), RESTART_DELAY_MS);
      }
    }

    if (stopping && Object.keys(cluster.workers ?? {}).length === 0) {
      logger.log('Every worker has stopped');
      process.exit(exitCode);
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`Received ${signal}; stopping ${environment.WORKERS} workers`);
      stopAll('SIGTERM');
    });
  }

  for (let index = 0; index < environment.WORKERS; index++) {
    fork();
  }
}

/**
 * Splits the cores among the workers' primality thread pools when PRIME_WORKERS is 0 (one thread
 * per core), so N processes do not start N threads per core between them.
 */
function primeWorkersPerProcess(environment: Environment): Record<string, string> {
  if (environment.PRIME_WORKERS !== 0) {
    return {};
  }

  const threads = Math.max(1, Math.floor(availableParallelism() / environment.WORKERS));
  return { PRIME_WORKERS: String(threads) };
}
