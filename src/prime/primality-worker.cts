/**
 * Entry file of the primality worker threads, in CommonJS. Piscina loads a task file with
 * require() first, and on Node 20.20 a require() of an ES module aborts the whole process when the
 * pool terminates the thread during that require ("v8::Module::IsGraphAsync must be used on an
 * instantiated module", seen when a server stopped right after it started). This file is plain
 * CommonJS and loads the ES module worker with import(), which a termination stops cleanly.
 */
type PrimalityWorker = typeof import('./primality.worker.js');

const worker: Promise<PrimalityWorker> = import('./primality.worker.js');
// A failed load reaches each task that awaits it; this only keeps it from also ending the thread
// as an unhandled rejection before the first task arrives.
worker.catch(() => undefined);

export = async function testPrimality(
  hex: string,
): Promise<ReturnType<PrimalityWorker['default']>> {
  return (await worker).default(hex);
};
