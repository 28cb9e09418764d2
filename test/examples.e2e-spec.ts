import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { runCli, startServerProcess } from './support/processes.js';
import type { ServerProcess } from './support/processes.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';

const execFileAsync = promisify(execFile);

const EXAMPLES = join(process.cwd(), 'examples');
const KEY_PATTERN = /\bpt_\d{10}_[0-9A-Za-z]{12}_[0-9A-Za-z]{28}\b/;
const PRIME_127 = '170141183460469231731687303715884105727';
const COMPOSITE_128 = '340282366920938463463374607431768211457';
// Each key may make this many requests a second, so the Python script meets a short 429: ten
// quick requests put at least five into one fixed window.
const BURST_LIMIT = 4;

/** Runs an example with the server URL and a key in its environment. */
async function runExample(
  command: string,
  args: string[],
  environment: Record<string, string>,
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      env: { ...process.env, ...environment },
      timeout: 60_000,
    });
    return { stdout, stderr, exitCode: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, exitCode: failed.code };
  }
}

describe('examples', () => {
  let database: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startServerProcess(database, { BURST_LIMIT: String(BURST_LIMIT) });
  });

  afterAll(async () => {
    await server.stop();
    await database.remove();
  });

  /** Mints a key with the CLI, unlimited by default, and returns the environment an example reads. */
  async function exampleEnvironment(
    limits = ['--hourly-limit', 'none', '--daily-limit', 'none'],
  ): Promise<Record<string, string>> {
    const created = await runCli(database, ['keys', 'create', '--name', 'example', ...limits]);
    const key = created.stdout.match(KEY_PATTERN)?.[0];
    if (created.exitCode !== 0 || key === undefined) {
      throw new Error(`keys create failed: ${created.stderr}`);
    }

    return { PRIMETIME_URL: server.baseUrl, PRIMETIME_KEY: key };
  }

  it('curl.sh shows the time, a big prime and a 429', async () => {
    const environment = await exampleEnvironment(['--daily-limit', '2']);

    const result = await runExample('bash', [join(EXAMPLES, 'curl.sh')], environment);

    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/"timeZone":"[^"]+"/);
    expect(result.stdout).toContain(`{"number":"${PRIME_127}","isPrime":true,`);
    expect(result.stdout).toContain('HTTP/1.1 429 Too Many Requests');
    expect(result.stdout).toMatch(/^retry-after: \d+$/m);
    expect(result.stdout).toContain('"reason":"quota","window":"day"');
    expect(result.stdout).not.toContain(environment.PRIMETIME_KEY);
  });

  it('check_prime.py prints each verdict', async () => {
    const environment = await exampleEnvironment();

    const result = await runExample('python3', [join(EXAMPLES, 'check_prime.py')], environment);

    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      '97: prime (trial_division, 7 bits)',
      `${PRIME_127}: probable_prime (baillie_psw_random_miller_rabin, 127 bits)`,
      expect.stringMatching(
        new RegExp(`^${COMPOSITE_128}: composite \\(\\w+, 129 bits, witness \\w+ \\d+\\)$`),
      ),
    ]);
  });

  it('check_prime.py waits out a burst 429', async () => {
    const environment = await exampleEnvironment();
    const numbers = ['2', '3', '4', '5', '6', '7', '8', '9', '10', '11'];

    const result = await runExample(
      'python3',
      [join(EXAMPLES, 'check_prime.py'), ...numbers],
      environment,
    );

    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/^rate limited, retrying in \d+ s$/m);
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(':')[0]),
    ).toEqual(numbers);
  });

  it('check_prime.py stops at a long Retry-After', async () => {
    const environment = await exampleEnvironment(['--daily-limit', '1']);

    const result = await runExample('python3', [join(EXAMPLES, 'check_prime.py'), '7', '11'], {
      ...environment,
      PRIMETIME_MAX_WAIT: '10',
    });

    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('7: prime (trial_division, 3 bits)\n');
    expect(result.stderr).toMatch(
      /^rate limited: Request limit exceeded: .*\(Retry-After: \d+ s\)$/m,
    );
  });

  it('client.ts prints the time and two verdicts', async () => {
    const environment = await exampleEnvironment();

    const result = await runExample(
      process.execPath,
      [join(process.cwd(), 'dist', 'examples', 'client.js')],
      environment,
    );

    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^current time: \S+ \(UTC\)$/m);
    expect(result.stdout).toContain(
      `${PRIME_127}: probable_prime (baillie_psw_random_miller_rabin, 127 bits)`,
    );
    expect(result.stdout).toMatch(new RegExp(`^${COMPOSITE_128}: composite \\(.*witness`, 'm'));
  });

  it('client.ts reports an API error and exits 1', async () => {
    const environment = await exampleEnvironment(['--daily-limit', '1']);

    const result = await runExample(
      process.execPath,
      [join(process.cwd(), 'dist', 'examples', 'client.js')],
      environment,
    );

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^API error 429: Request limit exceeded: .* Retry after \d+ s\.$/m,
    );
  });
});
