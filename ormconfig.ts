import 'reflect-metadata';

import { DataSource } from 'typeorm';

import { loadEnvironment } from './src/config/environment.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';

/** The data source the TypeORM CLI loads (`npm run migration:run`), configured like the server. */
export default new DataSource(buildDataSourceOptions(loadEnvironment()));
