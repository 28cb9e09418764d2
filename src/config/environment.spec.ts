import { Environment, validateEnvironment } from './environment.js';

describe('validateEnvironment', () => {
  it('fills in every default', () => {
    expect(validateEnvironment({})).toEqual(new Environment());
  });

  it('reads numbers from strings', () => {
    const environment = validateEnvironment({
      PORT: '8080',
      QUOTA_LIMIT: '0',
      QUOTA_PERIOD: 'hour',
    });

    expect(environment).toMatchObject({ PORT: 8080, QUOTA_LIMIT: 0, QUOTA_PERIOD: 'hour' });
  });

  it('ignores unknown variables and empty values', () => {
    expect(validateEnvironment({ PATH: '/bin', PORT: '' }).PORT).toBe(5000);
  });

  it('lists every invalid variable with what it accepts', () => {
    expect(() =>
      validateEnvironment({ PORT: 'abc', QUOTA_PERIOD: 'week', BCRYPT_COST: '4' }),
    ).toThrow(
      /PORT must be an integer from 0 to 65535 \(got "abc"\)[\s\S]*BCRYPT_COST must be an integer from 10 to 15[\s\S]*QUOTA_PERIOD must be one of: hour, day/,
    );
  });
});
