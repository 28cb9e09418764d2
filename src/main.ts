import 'reflect-metadata';

import { Logger } from '@nestjs/common';

import { createApp } from './app.factory.js';
import { loadEnvironment } from './config/environment.js';
import { KeysService } from './keys/keys.service.js';

async function bootstrap(): Promise<void> {
  const environment = loadEnvironment();
  const app = await createApp(environment);
  await app.init();
  const created = await app.get(KeysService).createDefaultKeyIfNone();
  await app.listen({ port: environment.PORT, host: environment.HOST });

  const url = `http://${environment.HOST.includes(':') ? `[${environment.HOST}]` : environment.HOST}:${environment.PORT}`;
  const logger = new Logger('Bootstrap');
  logger.log(
    `Listening on ${url} (database ${environment.DATABASE_PATH}); Swagger UI at ${url}/docs`,
  );

  if (created) {
    // Written to stdout directly, not through the logger, so no log pipeline stores the key.
    process.stdout.write(
      [
        '',
        `No API key existed, so one named "${created.name}" was created. It is shown only this once:`,
        '',
        `  ${created.key}`,
        '',
        `Try it: curl -X POST -H "Authorization: ${created.key}" ${url}/get-current-time`,
        'Create more keys with: npm run cli -- keys create --name NAME',
        '',
        '',
      ].join('\n'),
    );
  }
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `primetime failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
