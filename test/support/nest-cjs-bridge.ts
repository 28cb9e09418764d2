/**
 * Lets CommonJS packages such as @nestjs/throttler load under Jest on Node 20. They
 * `require('@nestjs/common')`, which NestJS 12 ships only as ES modules, and Jest's CommonJS
 * loader cannot load those (Node itself can). This file registers the modules Jest already
 * imported as ES modules as the result of those requires, so every package gets the same Nest
 * instances, as at run time.
 */
import { jest } from '@jest/globals';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';

jest.mock('@nestjs/common', () => common);
jest.mock('@nestjs/core', () => core);
