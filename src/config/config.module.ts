import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';

import { Environment } from './environment.js';

/**
 * Provides the validated configuration as the injectable `Environment`, and to ConfigService.
 * It is loaded before the app is created because the HTTP adapter needs the body limit.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(environment: Environment): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          load: [() => ({ ...environment })],
        }),
      ],
      providers: [{ provide: Environment, useValue: environment }],
      exports: [Environment],
    };
  }
}
