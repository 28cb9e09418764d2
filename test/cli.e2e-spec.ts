import { runCli, startServerProcess } from './support/processes.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';
import { checkPrime, request } from './support/test-server.js';

const KEY_PATTERN = /\bpt_\d{10}_[0-9A-Za-z]{12}_[0-9A-Za-z]{28}\b/g;

describe('admin CLI', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database.remove();
  });

  it('creates a key that works, revokes it, and stores no plaintext key', async () => {
    const created = await runCli(database, [
      'keys',
      'create',
      '--name',
      'alice',
      '--limit',
      '3',
      '--period',
      'hour',
    ]);
    expect(created.exitCode).toBe(0);
    const key = created.stdout.match(KEY_PATTERN)?.[0] ?? '';
    expect(key).not.toBe('');
    expect(created.stdout).toContain('0/3 per hour');

    const server = await startServerProcess(database);
    try {
      expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(200);

      const id = key.split('_')[2];
      const revoked = await runCli(database, ['keys', 'revoke', id]);
      expect(revoked.exitCode).toBe(0);
      expect(revoked.stdout).toContain(`Key ${id}`);

      // The server reuses a key row it read within KEY_ROW_CACHE_MS (1 s), so a revocation by
      // another process reaches an unmetered route within about a second.
      let afterRevoke = await request(server.baseUrl, '/get-current-time', { key });
      for (
        const deadline = Date.now() + 3000;
        afterRevoke.status === 200 && Date.now() < deadline;
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        afterRevoke = await request(server.baseUrl, '/get-current-time', { key });
      }
      expect(afterRevoke.status).toBe(401);
      expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(401);
      expect(afterRevoke.body.message).toMatch(/revoked/);

      const stored = await database.storedText();
      expect(stored).not.toContain(key);
      expect(stored).not.toContain(key.split('_')[3]);
      expect(stored).toContain('$2b$10$');
    } finally {
      await server.stop();
    }
  });

  it('prints one JSON object with id and key for --json', async () => {
    const created = await runCli(database, ['keys', 'create', '--name', 'script', '--json']);
    const parsed = JSON.parse(created.stdout);

    expect(created.exitCode).toBe(0);
    expect(parsed).toMatchObject({ name: 'script', key: expect.stringMatching(KEY_PATTERN) });
    expect(parsed.key.split('_')[2]).toBe(parsed.id);
  });

  it('lists keys without secrets or hashes', async () => {
    const created = JSON.parse(
      (await runCli(database, ['keys', 'create', '--name', 'bob', '--json'])).stdout,
    );
    const listed = await runCli(database, ['keys', 'list']);
    const listedJson = JSON.parse((await runCli(database, ['keys', 'list', '--json'])).stdout);

    expect(listed.stdout).toContain(created.id);
    expect(listed.stdout).toContain('bob');
    expect(listed.stdout).toContain('0/5 per day');
    expect(listed.stdout).not.toContain(created.key);
    expect(listed.stdout).not.toContain('$2b$');
    expect(listedJson).toEqual([expect.not.objectContaining({ key: expect.anything() })]);
    expect(JSON.stringify(listedJson)).not.toContain('$2b$');
  });

  it('shows one key and rotates it with a grace period', async () => {
    const created = JSON.parse(
      (await runCli(database, ['keys', 'create', '--name', 'carol', '--expires', '30d', '--json']))
        .stdout,
    );
    expect(created.expiresAt).not.toBeNull();

    const showOutput = await runCli(database, ['keys', 'show', created.id]);
    expect(showOutput.stdout).toMatch(new RegExp(`prefix\\s+pt_\\d{10}_${created.id}`));
    expect(showOutput.stdout).toMatch(/status\s+active/);
    expect(showOutput.stdout).not.toContain(created.key);

    const rotated = await runCli(database, [
      'keys',
      'rotate',
      created.id,
      '--grace',
      '1h',
      '--json',
    ]);
    const next = JSON.parse(rotated.stdout);
    expect(rotated.exitCode).toBe(0);
    expect(next).toMatchObject({ name: 'carol', key: expect.stringMatching(KEY_PATTERN) });
    expect(next.id).not.toBe(created.id);

    const old = JSON.parse((await runCli(database, ['keys', 'show', created.id, '--json'])).stdout);
    expect(old).toMatchObject({ status: 'active', replacedBy: next.id });
    expect(Date.parse(old.expiresAt) - Date.now()).toBeLessThanOrEqual(3600_000);
  });

  it('creates a key with hourly and daily limits', async () => {
    const created = await runCli(database, [
      'keys',
      'create',
      '--name',
      'dana',
      '--hourly-limit',
      '100',
      '--daily-limit',
      '1000',
    ]);

    expect(created.exitCode).toBe(0);
    expect(created.stdout).toContain('quota 0/100 per hour, 0/1000 per day.');
  });

  it('creates an unlimited key from none', async () => {
    const created = await runCli(database, [
      'keys',
      'create',
      '--name',
      'free',
      '--hourly-limit',
      'none',
      '--daily-limit',
      'none',
    ]);
    const id = created.stdout.match(KEY_PATTERN)?.[0].split('_')[2] ?? '';

    expect(created.exitCode).toBe(0);
    expect(created.stdout).toContain('quota unlimited.');
    expect((await runCli(database, ['keys', 'show', id])).stdout).toMatch(/quota\s+unlimited/);
    expect((await runCli(database, ['keys', 'list'])).stdout).toMatch(/\bunlimited$/m);
  });

  it('keeps the other window unlimited in the short form', async () => {
    const created = await runCli(database, [
      'keys',
      'create',
      '--name',
      'short',
      '--limit',
      '3',
      '--period',
      'day',
      '--json',
    ]);

    expect(JSON.parse(created.stdout).quotas).toEqual([
      expect.objectContaining({ period: 'day', limit: 3 }),
    ]);
  });

  it('changes the limits of a key with keys limits', async () => {
    const created = JSON.parse(
      (await runCli(database, ['keys', 'create', '--name', 'erin', '--json'])).stdout,
    );

    const changed = await runCli(database, ['keys', 'limits', created.id, '--hourly-limit', '10']);
    expect(changed.exitCode).toBe(0);
    expect(changed.stdout).toBe(
      `Key ${created.id} ("erin") now has quota 0/10 per hour, 0/5 per day.\n`,
    );

    const removed = await runCli(database, [
      'keys',
      'limits',
      created.id,
      '--daily-limit',
      'none',
      '--json',
    ]);
    expect(JSON.parse(removed.stdout).quotas).toEqual([
      expect.objectContaining({ period: 'hour', limit: 10, used: 0 }),
    ]);

    const showOutput = await runCli(database, ['keys', 'show', created.id]);
    expect(showOutput.stdout).toMatch(/quota\s+0\/10 per hour\n/);
    expect(showOutput.stdout).toMatch(/hour resets\s+\d{4}-/);
  });

  it('fails while QUOTA_LIMIT or QUOTA_PERIOD is set', async () => {
    const result = await runCli(database, ['keys', 'list'], {
      QUOTA_LIMIT: '100',
      QUOTA_PERIOD: 'hour',
    });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'QUOTA_LIMIT is no longer read. Set QUOTA_HOURLY_LIMIT and QUOTA_DAILY_LIMIT instead',
    );
    expect(result.stderr).toContain(
      'QUOTA_PERIOD is no longer read. Set QUOTA_HOURLY_LIMIT and QUOTA_DAILY_LIMIT instead',
    );
    expect(result.stderr).toContain(
      'The same quota as before is QUOTA_HOURLY_LIMIT=100 QUOTA_DAILY_LIMIT=none',
    );
  });

  it('reads QUOTA_HOURLY_LIMIT and QUOTA_DAILY_LIMIT for a new key', async () => {
    const created = await runCli(database, ['keys', 'create', '--name', 'configured'], {
      QUOTA_HOURLY_LIMIT: '20',
      QUOTA_DAILY_LIMIT: 'none',
    });

    expect(created.stdout).toContain('quota 0/20 per hour.');
  });

  it.each([
    [['keys', 'revoke', 'nosuchkey'], /No API key has the id "nosuchkey"/],
    [['keys', 'show', 'nosuchkey'], /No API key has the id "nosuchkey"/],
    [['keys', 'rotate', 'nosuchkey'], /No API key has the id "nosuchkey"/],
    [['keys', 'create', '--name', 'x', '--expires', 'soon'], /--expires must be a duration/],
    [
      ['keys', 'create', '--name', 'x', '--expires', '2001-01-01'],
      /--expires must be in the future/,
    ],
    [['keys', 'rotate', 'someid', '--grace', 'later'], /--grace.*Expected a duration/],
    [['keys', 'create'], /required option '--name <name>'/],
    [['keys', 'create', '--name', 'x', '--limit', 'abc'], /--limit.*Expected an integer/],
    [['keys', 'create', '--name', 'x', '--limit', '-1'], /--limit.*Expected an integer/],
    [['keys', 'create', '--name', 'x', '--period', 'week'], /--period.*Expected one of: hour, day/],
    [['keys', 'create', '--name', 'x', '--period', 'hour'], /--period without --limit is invalid/],
    [
      ['keys', 'create', '--name', 'x', '--limit', '3', '--daily-limit', '4'],
      /--limit and --period cannot be combined with --hourly-limit or --daily-limit/,
    ],
    [
      ['keys', 'create', '--name', 'x', '--period', 'day', '--hourly-limit', 'none'],
      /--limit and --period cannot be combined/,
    ],
    [
      ['keys', 'create', '--name', 'x', '--hourly-limit', 'lots'],
      /--hourly-limit.*Expected an integer from 0 to 2147483647, or none for unlimited/,
    ],
    [
      ['keys', 'create', '--name', 'x', '--daily-limit', '-5'],
      /--daily-limit.*Expected an integer from 0 to 2147483647, or none for unlimited/,
    ],
    [['keys', 'limits', 'someid'], /Missing --hourly-limit and --daily-limit/],
    [['keys', 'limits', 'nosuchkey', '--daily-limit', '5'], /No API key has the id "nosuchkey"/],
    [['keys', 'limits', 'someid', '--daily-limit', '2.5'], /--daily-limit.*Expected an integer/],
    [['keys', 'limits', '--daily-limit', '5'], /missing required argument 'id'/],
    [['keys', 'create', '--name', ' '], /name must be 1 to 100 characters/],
    [['keys', 'revoke'], /missing required argument 'id'/],
    [['keys', 'frobnicate'], /unknown command "keys frobnicate"/],
  ])('fails with a message on stderr for %j', async (args, message) => {
    const result = await runCli(database, args);

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});

describe('server start-up', () => {
  it('fails while QUOTA_PERIOD is set', async () => {
    const database = await createTestDatabase();
    try {
      await expect(startServerProcess(database, { QUOTA_PERIOD: 'day' })).rejects.toThrow(
        /server exited with 1: [\s\S]*QUOTA_PERIOD is no longer read\. Set QUOTA_HOURLY_LIMIT and QUOTA_DAILY_LIMIT instead/,
      );
    } finally {
      await database.remove();
    }
  });
});

describe('first start', () => {
  it('mints and prints a default key once, and not on the next start', async () => {
    const database = await createTestDatabase();
    try {
      const first = await startServerProcess(database);
      const key = (await first.waitForOutput(KEY_PATTERN))?.[0] ?? '';
      try {
        expect(key).not.toBe('');
        expect(first.output()).toContain(`curl -X POST -H "Authorization: ${key}"`);
        expect((await request(first.baseUrl, '/get-current-time', { key })).status).toBe(200);
      } finally {
        await first.stop();
      }

      const second = await startServerProcess(database);
      try {
        expect(second.output()).not.toMatch(KEY_PATTERN);
        expect((await request(second.baseUrl, '/get-current-time', { key })).status).toBe(200);
      } finally {
        await second.stop();
      }
    } finally {
      await database.remove();
    }
  });
});
