import { setTimeout as sleep } from 'node:timers/promises';

import { DatabaseTarget, freePort, runCli, spawnServer } from './processes.js';

/** Counts each HTTP status in `statuses`, such as { 200: 50, 429: 150 }. */
export function statusCounts(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) {
    counts[status] = (counts[status] ?? 0) + 1;
  }

  return counts;
}

/** Mints a key with `keys create --json` and returns its id and the key. */
export async function mintWithCli(
  database: DatabaseTarget,
  args: string[],
  environment: Record<string, string> = {},
): Promise<{ id: string; key: string }> {
  const result = await runCli(database, ['keys', 'create', '--json', ...args], environment);
  if (result.exitCode !== 0) {
    throw new Error(`keys create exited with ${result.exitCode}: ${result.stderr}`);
  }

  return JSON.parse(result.stdout) as { id: string; key: string };
}

/**
 * Sends `request` every `intervalMs` until it returns `status`, and returns the milliseconds from
 * `sinceMs` to that response, or null when `timeoutMs` passed first.
 */
export async function msUntilStatus(
  request: () => Promise<{ status: number }>,
  status: number,
  sinceMs: number,
  { intervalMs = 50, timeoutMs = 5000 } = {},
): Promise<number | null> {
  while (Date.now() - sinceMs < timeoutMs) {
    const response = await request();
    if (response.status === status) {
      return Date.now() - sinceMs;
    }

    await sleep(intervalMs);
  }

  return null;
}

/**
 * Runs `node dist/src/main.js` on a free port and waits up to `timeoutMs` for it to exit, for
 * tests of a start that must fail. A server still running then is killed and reported with a
 * null exit code.
 */
export async function runServerUntilExit(
  database: DatabaseTarget,
  environment: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const { child, stdout, stderr } = spawnServer(database, await freePort(), environment);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exitCode = await exited;
  clearTimeout(timer);

  return {
    exitCode: child.signalCode === 'SIGKILL' ? null : exitCode,
    stdout: stdout(),
    stderr: stderr(),
  };
}
