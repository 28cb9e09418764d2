import 'reflect-metadata';

import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { compileErrors, validate } from '@readme/openapi-parser';
import { format, resolveConfig } from 'prettier';

import { createApp } from './app.factory.js';
import { validateEnvironment } from './config/environment.js';
import { buildOpenApiDocument } from './swagger.js';

const OPENAPI_FILE = resolve('openapi.json');

const USAGE = `Usage: node dist/src/openapi.js [--check] [FILE]

Writes the OpenAPI document of the API to FILE (default: openapi.json), without starting a server.
With --check, writes nothing: exits with 1 when FILE differs from the document the code builds,
or when either fails OpenAPI validation.`;

/**
 * The configuration the committed document describes: the defaults, plus an ADMIN_TOKEN so the
 * admin routes are listed. The process environment and .env are ignored, so every run gives the
 * same document.
 */
const DOCUMENT_ENVIRONMENT = {
  DATABASE_PATH: ':memory:',
  ADMIN_TOKEN: 'openapi-document-placeholder-admin-token',
  LOG_LEVEL: 'warn',
};

/** Builds the document as Swagger UI serves it, from an app that never listens. */
async function generateOpenApiJson(): Promise<string> {
  const environment = validateEnvironment(DOCUMENT_ENVIRONMENT);
  const app = await createApp(environment);
  // Initialised so that close() runs the shutdown hooks against started providers.
  await app.init();
  try {
    const document = buildOpenApiDocument(app, environment);
    // Formatted as Prettier formats the committed file, so `npm run lint` accepts it as written.
    const options = await resolveConfig(OPENAPI_FILE);
    return await format(JSON.stringify(document), { ...options, parser: 'json' });
  } finally {
    await app.close();
  }
}

/** Throws with every validation error when `json` is not a valid OpenAPI 3.x document. */
async function assertValidOpenApi(json: string, label: string): Promise<void> {
  // validate() dereferences the document in place, so it gets its own parsed copy.
  const result = await validate(JSON.parse(json) as Parameters<typeof validate>[0]);
  if (!result.valid) {
    throw new Error(`${label} is not a valid OpenAPI document:\n${compileErrors(result)}`);
  }
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const check = args.includes('--check');
  const fileArgument = args.find((arg) => !arg.startsWith('--'));
  const file = fileArgument ? resolve(fileArgument) : OPENAPI_FILE;
  const generated = await generateOpenApiJson();
  await assertValidOpenApi(generated, 'The generated document');

  if (!check) {
    await writeFile(file, generated);
    process.stdout.write(`Wrote ${file}\n`);
    return 0;
  }

  const committed = await readFile(file, 'utf8');
  await assertValidOpenApi(committed, file);
  if (committed !== generated) {
    process.stderr.write(
      `${file} is out of date: the routes or their decorators changed. Regenerate it with: npm run openapi\n`,
    );
    return 1;
  }

  process.stdout.write(`${file} is valid and up to date.\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
