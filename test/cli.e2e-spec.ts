import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

import { runCli, startServerProcess } from './support/processes.js';
import { checkPrime, request, temporaryDatabasePath } from './support/test-server.js';

const KEY_PATTERN = /\bpt_\d{10}_[0-9A-Za-z]{12}_[0-9A-Za-z]{28}\b/g;

describe('admin CLI', () => {
  let databasePath: string;

  beforeEach(() => {
    ({ databasePath } = temporaryDatabasePath());
  });

  afterEach(() => {
    rmSync(dirname(databasePath), { recursive: true, force: true });
  });

  it('creates a key that works, revokes it, and stores no plaintext key', async () => {
    const created = await runCli(databasePath, [
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

    const server = await startServerProcess(databasePath);
    try {
      expect((await checkPrime(server, key, '{"number": 7}')).status).toBe(200);

      const id = key.split('_')[2];
      const revoked = await runCli(databasePath, ['keys', 'revoke', id]);
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

      const stored = ['', '-wal', '-shm']
        .map((suffix) => {
          try {
            return readFileSync(`${databasePath}${suffix}`).toString('latin1');
          } catch {
            return '';
          }
        })
        .join('');
      expect(stored).not.toContain(key);
      expect(stored).not.toContain(key.split('_')[3]);
      expect(stored).toContain('$2b$10$');
    } finally {
      await server.stop();
    }
  });

  it('prints one JSON object with id and key for --json', async () => {
    const created = await runCli(databasePath, ['keys', 'create', '--name', 'script', '--json']);
    const parsed = JSON.parse(created.stdout);

    expect(created.exitCode).toBe(0);
    expect(parsed).toMatchObject({ name: 'script', key: expect.stringMatching(KEY_PATTERN) });
    expect(parsed.key.split('_')[2]).toBe(parsed.id);
  });

  it('lists keys without secrets or hashes', async () => {
    const created = JSON.parse(
      (await runCli(databasePath, ['keys', 'create', '--name', 'bob', '--json'])).stdout,
    );
    const listed = await runCli(databasePath, ['keys', 'list']);
    const listedJson = JSON.parse((await runCli(databasePath, ['keys', 'list', '--json'])).stdout);

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
      (
        await runCli(databasePath, [
          'keys',
          'create',
          '--name',
          'carol',
          '--expires',
          '30d',
          '--json',
        ])
      ).stdout,
    );
    expect(created.expiresAt).not.toBeNull();

    const showOutput = await runCli(databasePath, ['keys', 'show', created.id]);
    expect(showOutput.stdout).toMatch(new RegExp(`prefix\\s+pt_\\d{10}_${created.id}`));
    expect(showOutput.stdout).toMatch(/status\s+active/);
    expect(showOutput.stdout).not.toContain(created.key);

    const rotated = await runCli(databasePath, [
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

    const old = JSON.parse(
      (await runCli(databasePath, ['keys', 'show', created.id, '--json'])).stdout,
    );
    expect(old).toMatchObject({ status: 'active', replacedBy: next.id });
    expect(Date.parse(old.expiresAt) - Date.now()).toBeLessThanOrEqual(3600_000);
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
    [['keys', 'create', '--name', ' '], /name must be 1 to 100 characters/],
    [['keys', 'revoke'], /missing required argument 'id'/],
    [['keys', 'frobnicate'], /unknown command "keys frobnicate"/],
  ])('fails with a message on stderr for %j', async (args, message) => {
    const result = await runCli(databasePath, args);

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});

describe('first start', () => {
  it('mints and prints a default key once, and not on the next start', async () => {
    const { directory, databasePath } = temporaryDatabasePath();
    try {
      const first = await startServerProcess(databasePath);
      const key = (await first.waitForOutput(KEY_PATTERN))?.[0] ?? '';
      try {
        expect(key).not.toBe('');
        expect(first.output()).toContain(`curl -X POST -H "Authorization: ${key}"`);
        expect((await request(first.baseUrl, '/get-current-time', { key })).status).toBe(200);
      } finally {
        await first.stop();
      }

      const second = await startServerProcess(databasePath);
      try {
        expect(second.output()).not.toMatch(KEY_PATTERN);
        expect((await request(second.baseUrl, '/get-current-time', { key })).status).toBe(200);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
