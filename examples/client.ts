/**
 * Calls primetime with the typed client in src/client. Build with `npm run build`, then run:
 *
 *   PRIMETIME_KEY=pt_... node dist/examples/client.js [N ...]
 *
 * PRIMETIME_URL sets the server (default http://127.0.0.1:5000). Without N it tests 2^127 - 1,
 * a prime too large for a JavaScript number, and 2^128 + 1, a composite.
 */
import { ApiError, NetworkError, PrimetimeClient } from '../src/client/index.js';

async function main(): Promise<void> {
  const apiKey = process.env.PRIMETIME_KEY;
  if (!apiKey) {
    process.stderr.write(
      'Set PRIMETIME_KEY to an API key, such as one from "npm run cli -- keys create".\n',
    );
    process.exitCode = 2;
    return;
  }

  const client = new PrimetimeClient({
    baseUrl: process.env.PRIMETIME_URL ?? 'http://127.0.0.1:5000',
    apiKey,
    timeoutMs: 15_000,
  });

  const time = await client.getCurrentTime({ timezone: 'UTC' });
  console.log(`current time: ${time.iso} (${time.timeZone})`);

  const numbers: (bigint | string)[] =
    process.argv.length > 2 ? process.argv.slice(2) : [2n ** 127n - 1n, 2n ** 128n + 1n];
  for (const n of numbers) {
    const verdict = await client.checkPrime(n);
    const witness = verdict.witness
      ? `, witness ${verdict.witness.type} ${verdict.witness.value}`
      : '';
    console.log(
      `${verdict.number}: ${verdict.result} (${verdict.method}, ${verdict.bits} bits${witness})`,
    );
  }

  const limits = client.lastRateLimit;
  if (limits?.remaining !== undefined) {
    console.log(`requests left in the tightest window: ${limits.remaining} of ${limits.limit}`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ApiError) {
    const retry = error.retryAfter === undefined ? '' : ` Retry after ${error.retryAfter} s.`;
    process.stderr.write(`API error ${error.status}: ${error.message}${retry}\n`);
  } else if (error instanceof NetworkError) {
    process.stderr.write(`Network error: ${error.message}\n`);
  } else {
    process.stderr.write(`${String(error)}\n`);
  }

  process.exitCode = 1;
});
