import { InvalidArgumentError } from 'commander';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';

import { Clock } from '../common/clock.js';
import { MAX_QUOTA_LIMIT, QUOTA_PERIODS } from '../config/environment.js';
import type { QuotaPeriod } from '../config/environment.js';
import { ApiKeySummaryDto, CreatedApiKeyDto } from './api-key.dto.js';
import { parseDuration, parseExpiry } from './key-lifetime.js';
import { KeysService } from './keys.service.js';
import type { QuotaLimits } from './keys.service.js';

interface JsonOption {
  json?: boolean;
}

/**
 * Values of `--hourly-limit` and `--daily-limit`. Commander stores a parser's null as an empty
 * string, so the parser keeps `none` and `windowLimits` turns it into null.
 */
interface LimitsOptions extends JsonOption {
  hourlyLimit?: number | 'none';
  dailyLimit?: number | 'none';
}

interface CreateOptions extends LimitsOptions {
  name: string;
  limit?: number;
  period?: QuotaPeriod;
  expires?: string;
}

interface RotateOptions extends JsonOption {
  grace?: number;
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

function describeQuota(key: ApiKeySummaryDto): string {
  if (key.quotas.length === 0) {
    return 'unlimited';
  }

  return key.quotas.map((quota) => `${quota.used}/${quota.limit} per ${quota.period}`).join(', ');
}

function printCreated(verb: string, created: CreatedApiKeyDto): void {
  const expiry = created.expiresAt ? `, expires ${created.expiresAt}` : '';
  print(
    `${verb} key "${created.name}" (id ${created.id}), quota ${describeQuota(created)}${expiry}.`,
  );
  print('Store the key now: it is not saved anywhere and cannot be shown again.');
  print('');
  print(`  ${created.key}`);
  print('');
}

/** Parses an `--hourly-limit` or `--daily-limit` value: an integer from 0 to MAX_QUOTA_LIMIT, or `none`. */
function parseLimitOrNone(value: string): number | 'none' {
  if (value.trim().toLowerCase() === 'none') {
    return 'none';
  }

  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit > MAX_QUOTA_LIMIT) {
    throw new InvalidArgumentError(
      `Expected an integer from 0 to ${MAX_QUOTA_LIMIT}, or none for unlimited.`,
    );
  }

  return limit;
}

/** Reads `--hourly-limit` and `--daily-limit`: undefined when absent, null for `none`. */
function windowLimits(options: LimitsOptions): QuotaLimits {
  const toLimit = (value: number | 'none' | undefined): number | null | undefined =>
    value === 'none' ? null : value;

  return { hourlyLimit: toLimit(options.hourlyLimit), dailyLimit: toLimit(options.dailyLimit) };
}

/** Shared `--json` option: commands print one JSON document instead of text. */
abstract class KeysSubCommand extends CommandRunner {
  @Option({ flags: '--json', description: 'print JSON instead of text, for scripts' })
  parseJson(): boolean {
    return true;
  }
}

/** Shared `--hourly-limit` and `--daily-limit` options of `keys create` and `keys limits`. */
abstract class KeyLimitsSubCommand extends KeysSubCommand {
  @Option({
    flags: '--hourly-limit <n|none>',
    description: 'metered requests per UTC hour, or none for unlimited',
  })
  parseHourlyLimit(value: string): number | 'none' {
    return parseLimitOrNone(value);
  }

  @Option({
    flags: '--daily-limit <n|none>',
    description: 'metered requests per UTC day, or none for unlimited',
  })
  parseDailyLimit(value: string): number | 'none' {
    return parseLimitOrNone(value);
  }
}

@SubCommand({
  name: 'create',
  description:
    'mint a new key and print it once (limits not given come from QUOTA_HOURLY_LIMIT and QUOTA_DAILY_LIMIT)',
})
export class CreateKeyCommand extends KeyLimitsSubCommand {
  constructor(
    private readonly keys: KeysService,
    private readonly clock: Clock,
  ) {
    super();
  }

  async run(_parameters: string[], options: CreateOptions): Promise<void> {
    const shortForm = options.limit !== undefined || options.period !== undefined;
    if (shortForm && (options.hourlyLimit !== undefined || options.dailyLimit !== undefined)) {
      throw new Error(
        '--limit and --period cannot be combined with --hourly-limit or --daily-limit. Use ' +
          '--limit N --period hour|day for one window, or --hourly-limit and --daily-limit.',
      );
    }

    if (options.period !== undefined && options.limit === undefined) {
      throw new Error(
        `--period without --limit is invalid. Give both, such as --limit 100 --period ${options.period}.`,
      );
    }

    const expiresAt =
      options.expires === undefined
        ? null
        : parseExpiry(options.expires, this.clock.now().getTime(), '--expires');
    const created = await this.keys.create({
      name: options.name,
      limit: options.limit,
      period: options.period,
      ...windowLimits(options),
      expiresAt,
    });
    if (options.json) {
      printJson(created);
      return;
    }

    printCreated('Created', created);
  }

  @Option({
    flags: '--name <name>',
    description: 'name of the key, 1 to 100 characters',
    required: true,
  })
  parseName(value: string): string {
    return value;
  }

  @Option({
    flags: '--limit <requests>',
    description:
      'short form for one window: metered requests per --period, with no limit in the other window',
  })
  parseLimit(value: string): number {
    const limit = Number(value);
    if (!/^\d+$/.test(value) || limit > MAX_QUOTA_LIMIT) {
      throw new InvalidArgumentError(`Expected an integer from 0 to ${MAX_QUOTA_LIMIT}.`);
    }

    return limit;
  }

  @Option({
    flags: '--period <period>',
    description: 'window of --limit, hour or day, aligned to UTC (default: day)',
  })
  parsePeriod(value: string): QuotaPeriod {
    if (!(QUOTA_PERIODS as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`Expected one of: ${QUOTA_PERIODS.join(', ')}.`);
    }

    return value as QuotaPeriod;
  }

  @Option({
    flags: '--expires <when>',
    description:
      'when the key stops working: a duration such as 30d or 12h, or an ISO 8601 date (default: never)',
  })
  parseExpires(value: string): string {
    return value;
  }
}

@SubCommand({ name: 'list', description: 'list every key without its secret' })
export class ListKeysCommand extends KeysSubCommand {
  constructor(private readonly keys: KeysService) {
    super();
  }

  async run(_parameters: string[], options: JsonOption): Promise<void> {
    const keys = await this.keys.list();
    if (options.json) {
      printJson(keys);
      return;
    }

    if (keys.length === 0) {
      print('No keys. Create one with: npm run cli -- keys create --name NAME');
      return;
    }

    const rows = keys.map((key) => [
      key.id,
      key.name,
      key.prefix,
      key.status,
      key.createdAt,
      key.expiresAt ?? '-',
      key.revokedAt ?? '-',
      key.lastUsedAt ?? '-',
      describeQuota(key),
    ]);
    printTable(
      ['ID', 'NAME', 'PREFIX', 'STATUS', 'CREATED', 'EXPIRES', 'REVOKED', 'LAST USED', 'QUOTA'],
      rows,
    );
  }
}

@SubCommand({ name: 'show', arguments: '<id>', description: 'show one key without its secret' })
export class ShowKeyCommand extends KeysSubCommand {
  constructor(private readonly keys: KeysService) {
    super();
  }

  async run([id]: string[], options: JsonOption): Promise<void> {
    const key = await this.keys.show(id);
    if (options.json) {
      printJson(key);
      return;
    }

    const fields: [string, string][] = [
      ['id', key.id],
      ['name', key.name],
      ['prefix', key.prefix],
      ['status', key.status],
      ['created', key.createdAt],
      ['expires', key.expiresAt ?? 'never'],
      ['revoked', key.revokedAt ?? '-'],
      ['last used', key.lastUsedAt ?? 'never'],
      ['replaced by', key.replacedBy ?? '-'],
      ['quota', describeQuota(key)],
      ...key.quotas.map((quota): [string, string] => [`${quota.period} resets`, quota.resetsAt]),
    ];
    const width = Math.max(...fields.map(([label]) => label.length));
    fields.forEach(([label, value]) => print(`${label.padEnd(width)}  ${value}`));
  }
}

@SubCommand({
  name: 'revoke',
  arguments: '<id>',
  description: 'revoke a key by its id; it stops working at once',
})
export class RevokeKeyCommand extends KeysSubCommand {
  constructor(private readonly keys: KeysService) {
    super();
  }

  async run([id]: string[], options: JsonOption): Promise<void> {
    const revoked = await this.keys.revoke(id);
    if (options.json) {
      printJson(revoked);
      return;
    }

    print(`Key ${revoked.id} ("${revoked.name}") is revoked since ${revoked.revokedAt}.`);
  }
}

@SubCommand({
  name: 'rotate',
  arguments: '<id>',
  description: 'mint a new key with the same settings and print it once; the old key stops working',
})
export class RotateKeyCommand extends KeysSubCommand {
  constructor(private readonly keys: KeysService) {
    super();
  }

  async run([id]: string[], options: RotateOptions): Promise<void> {
    const created = await this.keys.rotate(id, options.grace ?? 0);
    if (options.json) {
      printJson(created);
      return;
    }

    printCreated(`Rotated ${id} into the new`, created);
    print(
      options.grace
        ? `The old key ${id} keeps working for the grace period, then stops.`
        : `The old key ${id} stopped working.`,
    );
  }

  @Option({
    flags: '--grace <duration>',
    description:
      'how long the old key keeps working, such as 10m or 1d (default: it stops at once)',
  })
  parseGrace(value: string): number {
    const grace = parseDuration(value);
    if (grace === null) {
      throw new InvalidArgumentError('Expected a duration such as 10m, 1h or 7d.');
    }

    return grace;
  }
}

@SubCommand({
  name: 'limits',
  arguments: '<id>',
  description: 'change the hourly and daily limits of a key, keeping its usage so far',
})
export class SetKeyLimitsCommand extends KeyLimitsSubCommand {
  constructor(private readonly keys: KeysService) {
    super();
  }

  async run([id]: string[], options: LimitsOptions): Promise<void> {
    if (options.hourlyLimit === undefined && options.dailyLimit === undefined) {
      throw new Error(
        'Missing --hourly-limit and --daily-limit. Give one or both, such as keys limits ID --hourly-limit 100 --daily-limit none.',
      );
    }

    const key = await this.keys.setLimits(id, windowLimits(options));
    if (options.json) {
      printJson(key);
      return;
    }

    print(`Key ${key.id} ("${key.name}") now has quota ${describeQuota(key)}.`);
  }
}

/** The subcommands of `keys`; nest-commander also needs each one registered as a provider. */
export const KEYS_SUBCOMMANDS = [
  CreateKeyCommand,
  ListKeysCommand,
  ShowKeyCommand,
  RevokeKeyCommand,
  RotateKeyCommand,
  SetKeyLimitsCommand,
];

@Command({ name: 'keys', description: 'manage API keys', subCommands: KEYS_SUBCOMMANDS })
export class KeysCommand extends CommandRunner {
  run([unknown]: string[]): Promise<void> {
    if (unknown !== undefined) {
      return Promise.reject(
        new Error(`unknown command "keys ${unknown}". Run "keys --help" to see the commands.`),
      );
    }

    this.command.help();
    return Promise.resolve();
  }
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const format = (row: string[]): string =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  print(format(header));
  rows.forEach((row) => print(format(row)));
}
