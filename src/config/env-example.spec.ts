import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

import { Environment, validateEnvironment } from './environment.js';

const ROOT = process.cwd();

describe('.env.example', () => {
  const example = parseEnv(readFileSync(join(ROOT, '.env.example'), 'utf8'));

  it('lists every variable of Environment', () => {
    expect(Object.keys(example).sort()).toEqual(Object.keys(new Environment()).sort());
  });

  it('gives the default of each variable', () => {
    expect(validateEnvironment(example)).toEqual(new Environment());
  });
});

describe('README configuration table', () => {
  it('lists every variable of Environment', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((match) => match[1]);

    expect(Object.keys(new Environment()).filter((name) => !rows.includes(name))).toEqual([]);
  });
});
