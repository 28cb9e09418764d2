import 'reflect-metadata';

import { CommandFactory } from 'nest-commander';

import { CliModule } from './cli.module.js';
import { loadEnvironment } from './config/environment.js';

/** Prints a failed command's message to stderr and sets a non-zero exit code. */
function reportError(error: Error): void {
  process.stderr.write(`error: ${error.message}\n`);
  process.exitCode = 1;
}

async function main(): Promise<void> {
  const environment = loadEnvironment();
  await CommandFactory.run(CliModule.forRoot(environment), {
    cliName: 'primetime',
    logger: ['warn', 'error', 'fatal'],
    serviceErrorHandler: reportError,
  });
}

main().catch((error: unknown) => {
  reportError(error instanceof Error ? error : new Error(String(error)));
});
