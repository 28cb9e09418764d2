import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';

import { ApiError, PrimetimeClient } from '../client/index.js';
import { Environment } from '../config/environment.js';

interface CallOptions {
  key?: string;
  url?: string;
}

interface TimeOptions extends CallOptions {
  timezone?: string;
}

/**
 * Shared `--key` and `--url` options. The key falls back to PRIMETIME_KEY, which keeps it out of
 * the shell history. The URL falls back to PRIMETIME_URL, then to this machine on the configured
 * PORT.
 */
abstract class CallSubCommand extends CommandRunner {
  constructor(protected readonly environment: Environment) {
    super();
  }

  @Option({
    flags: '--key <key>',
    description: 'API key to send (default: the PRIMETIME_KEY environment variable)',
  })
  parseKey(value: string): string {
    return value;
  }

  @Option({
    flags: '--url <url>',
    description: 'base URL of the server (default: PRIMETIME_URL, else http://127.0.0.1:PORT)',
  })
  parseUrl(value: string): string {
    return value;
  }

  protected client(options: CallOptions): PrimetimeClient {
    const apiKey = options.key ?? process.env.PRIMETIME_KEY;
    if (!apiKey) {
      throw new Error(
        'Missing API key. Set PRIMETIME_KEY, or pass --key KEY (which lands in the shell history).',
      );
    }

    return new PrimetimeClient({
      baseUrl:
        options.url ?? (process.env.PRIMETIME_URL || `http://127.0.0.1:${this.environment.PORT}`),
      apiKey,
    });
  }

  /** Prints the JSON result, or turns an API error into the message the CLI prints to stderr. */
  protected async print(call: Promise<unknown>): Promise<void> {
    try {
      process.stdout.write(`${JSON.stringify(await call, null, 2)}\n`);
    } catch (error) {
      if (error instanceof ApiError) {
        const retry =
          error.retryAfter === undefined ? '' : ` Retry-After: ${error.retryAfter} seconds.`;
        throw new Error(`${error.status} ${error.message}${retry}`, { cause: error });
      }

      throw error;
    }
  }
}

@SubCommand({
  name: 'time',
  description: 'call /get-current-time and print the JSON response',
})
export class CallTimeCommand extends CallSubCommand {
  // Nest reads constructor parameter types from each class itself, so the subclass repeats them.
  constructor(environment: Environment) {
    super(environment);
  }

  run(_parameters: string[], options: TimeOptions): Promise<void> {
    return this.print(this.client(options).getCurrentTime({ timezone: options.timezone }));
  }

  @Option({
    flags: '--timezone <zone>',
    description: 'IANA time zone of the response, such as Europe/Paris (default: the server zone)',
  })
  parseTimezone(value: string): string {
    return value;
  }
}

@SubCommand({
  name: 'prime',
  arguments: '<n>',
  description:
    'call /check-prime with N, an integer of any size, and print the JSON response (put -- before a negative N)',
})
export class CallPrimeCommand extends CallSubCommand {
  // Nest reads constructor parameter types from each class itself, so the subclass repeats them.
  constructor(environment: Environment) {
    super(environment);
  }

  run([n]: string[], options: CallOptions): Promise<void> {
    return this.print(this.client(options).checkPrime(n));
  }
}

/** The subcommands of `call`; nest-commander also needs each one registered as a provider. */
export const CALL_SUBCOMMANDS = [CallTimeCommand, CallPrimeCommand];

@Command({
  name: 'call',
  description: 'call the API with a key, as a client would',
  subCommands: CALL_SUBCOMMANDS,
})
export class CallCommand extends CommandRunner {
  run([unknown]: string[]): Promise<void> {
    if (unknown !== undefined) {
      return Promise.reject(
        new Error(`unknown command "call ${unknown}". Run "call --help" to see the commands.`),
      );
    }

    this.command.help();
    return Promise.resolve();
  }
}
