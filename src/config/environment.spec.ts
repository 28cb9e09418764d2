import { Environment, redactUrl, validateEnvironment } from './environment.js';

describe('validateEnvironment', () => {
  it('fills in every default', () => {
    expect(validateEnvironment({})).toEqual(new Environment());
  });

  it('reads numbers from strings', () => {
    const environment = validateEnvironment({
      PORT: '8080',
      QUOTA_HOURLY_LIMIT: '100',
      QUOTA_DAILY_LIMIT: '0',
    });

    expect(environment).toMatchObject({
      PORT: 8080,
      QUOTA_HOURLY_LIMIT: 100,
      QUOTA_DAILY_LIMIT: 0,
    });
  });

  it('ignores unknown variables and empty values', () => {
    expect(validateEnvironment({ PATH: '/bin', PORT: '' }).PORT).toBe(5000);
  });

  it('lists every invalid variable with what it accepts', () => {
    expect(() =>
      validateEnvironment({ PORT: 'abc', QUOTA_DAILY_LIMIT: 'many', BCRYPT_COST: '4' }),
    ).toThrow(
      /PORT must be an integer from 0 to 65535 \(got "abc"\)[\s\S]*BCRYPT_COST must be an integer from 10 to 15[\s\S]*QUOTA_DAILY_LIMIT must be an integer from 0 to 2147483647, or none for unlimited/,
    );
  });

  describe('quota limits', () => {
    it('default to no hourly limit and 5 a day', () => {
      const environment = validateEnvironment({});

      expect(environment.QUOTA_HOURLY_LIMIT).toBeNull();
      expect(environment.QUOTA_DAILY_LIMIT).toBe(5);
    });

    it.each(['none', 'NONE', ' None '])('read %j as unlimited', (value) => {
      const environment = validateEnvironment({
        QUOTA_HOURLY_LIMIT: value,
        QUOTA_DAILY_LIMIT: value,
      });

      expect(environment.QUOTA_HOURLY_LIMIT).toBeNull();
      expect(environment.QUOTA_DAILY_LIMIT).toBeNull();
    });

    it.each(['-1', '1.5', 'unlimited', '1e3', '2147483648', '9007199254740992'])(
      'reject %j',
      (value) => {
        expect(() => validateEnvironment({ QUOTA_HOURLY_LIMIT: value })).toThrow(
          `QUOTA_HOURLY_LIMIT must be an integer from 0 to 2147483647, or none for unlimited (got "${value}")`,
        );
        expect(() => validateEnvironment({ QUOTA_DAILY_LIMIT: value })).toThrow(
          `QUOTA_DAILY_LIMIT must be an integer from 0 to 2147483647, or none for unlimited (got "${value}")`,
        );
      },
    );
  });

  describe('TRUST_PROXY', () => {
    it.each([
      ['false', false],
      ['true', true],
      ['0', 0],
      ['1', 1],
      ['2', 2],
      ['127.0.0.1', '127.0.0.1'],
      ['10.0.0.0/8, ::1', '10.0.0.0/8, ::1'],
    ])('reads %p', (value, expected) => {
      expect(validateEnvironment({ TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
    });

    it.each(['banana', '10.0.0.0/33', '-1', 'yes please'])('rejects %p', (value) => {
      expect(() => validateEnvironment({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY must be/);
    });
  });

  describe('DATABASE_URL and REDIS_URL', () => {
    it.each(['postgres://app:secret@db.internal:5432/primetime', 'postgresql://127.0.0.1/test'])(
      'accept the PostgreSQL URL %j',
      (url) => {
        expect(validateEnvironment({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
      },
    );

    it.each(['mysql://127.0.0.1/test', './data/primetime.sqlite', 'postgres://'])(
      'reject %j as DATABASE_URL',
      (url) => {
        expect(() => validateEnvironment({ DATABASE_URL: url })).toThrow(
          'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@127.0.0.1:5432/primetime',
        );
      },
    );

    it.each(['redis://127.0.0.1:6379', 'rediss://:token@cache.internal:6380/2'])(
      'accept the Redis URL %j',
      (url) => {
        expect(validateEnvironment({ REDIS_URL: url }).REDIS_URL).toBe(url);
      },
    );

    it('rejects a REDIS_URL of another scheme', () => {
      expect(() => validateEnvironment({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(
        'REDIS_URL must be a Redis URL such as redis://127.0.0.1:6379 (rediss:// for TLS)',
      );
    });

    it('hides the password of an invalid URL in the error', () => {
      let message = '';
      try {
        validateEnvironment({ DATABASE_URL: 'mysql://app:hunter2secret@127.0.0.1/test' });
      } catch (error) {
        message = (error as Error).message;
      }

      expect(message).toContain('(got "mysql://app:***@127.0.0.1/test")');
      expect(message).not.toContain('hunter2secret');
    });

    it('replaces a value that is not a URL whole', () => {
      expect(redactUrl('hunter2secret')).toBe('(not a URL)');
    });
  });

  describe('DATABASE_POOL_SIZE', () => {
    it.each(['0', '1001', 'ten'])('rejects %j', (value) => {
      expect(() => validateEnvironment({ DATABASE_POOL_SIZE: value })).toThrow(
        'DATABASE_POOL_SIZE must be an integer from 1 to 1000',
      );
    });
  });

  describe('WORKERS', () => {
    it('defaults to one process', () => {
      expect(validateEnvironment({}).WORKERS).toBe(1);
    });

    it.each(['0', '257', 'two'])('rejects %j', (value) => {
      expect(() => validateEnvironment({ WORKERS: value })).toThrow(
        'WORKERS must be an integer from 1 to 256',
      );
    });
  });

  describe('METER_CURRENT_TIME', () => {
    it('reads true and false', () => {
      expect(validateEnvironment({ METER_CURRENT_TIME: 'true' }).METER_CURRENT_TIME).toBe(true);
      expect(validateEnvironment({ METER_CURRENT_TIME: 'false' }).METER_CURRENT_TIME).toBe(false);
    });

    it('rejects other words', () => {
      expect(() => validateEnvironment({ METER_CURRENT_TIME: 'sometimes' })).toThrow(
        /METER_CURRENT_TIME must be true or false/,
      );
    });
  });

  describe('retired QUOTA_LIMIT and QUOTA_PERIOD', () => {
    it('rejects QUOTA_LIMIT and names its replacements', () => {
      expect(() => validateEnvironment({ QUOTA_LIMIT: '100' })).toThrow(
        'QUOTA_LIMIT is no longer read. Set QUOTA_HOURLY_LIMIT and QUOTA_DAILY_LIMIT instead and remove QUOTA_LIMIT (got "100")',
      );
    });

    it('rejects QUOTA_PERIOD and names its replacements', () => {
      expect(() => validateEnvironment({ QUOTA_PERIOD: 'day' })).toThrow(
        'QUOTA_PERIOD is no longer read. Set QUOTA_HOURLY_LIMIT and QUOTA_DAILY_LIMIT instead and remove QUOTA_PERIOD (got "day")',
      );
    });

    it.each([
      [{ QUOTA_LIMIT: '100' }, 'QUOTA_HOURLY_LIMIT=none QUOTA_DAILY_LIMIT=100'],
      [{ QUOTA_PERIOD: 'hour' }, 'QUOTA_HOURLY_LIMIT=5 QUOTA_DAILY_LIMIT=none'],
      [{ QUOTA_LIMIT: '7', QUOTA_PERIOD: 'hour' }, 'QUOTA_HOURLY_LIMIT=7 QUOTA_DAILY_LIMIT=none'],
    ])('gives the settings that keep the quota of %j', (old, replacement) => {
      expect(() => validateEnvironment(old)).toThrow(`The same quota as before is ${replacement}`);
    });

    it('gives no replacement for old values that were invalid', () => {
      expect(() => validateEnvironment({ QUOTA_PERIOD: 'week' })).toThrow(
        /^Invalid configuration:\n {2}QUOTA_PERIOD is no longer read\.[^\n]*$/,
      );
    });

    it('rejects them even beside the new variables', () => {
      expect(() =>
        validateEnvironment({
          QUOTA_LIMIT: '5',
          QUOTA_DAILY_LIMIT: '5',
          QUOTA_HOURLY_LIMIT: 'none',
        }),
      ).toThrow(/QUOTA_LIMIT is no longer read/);
    });

    it('ignores them when empty, like any empty variable', () => {
      expect(validateEnvironment({ QUOTA_LIMIT: '', QUOTA_PERIOD: '' }).QUOTA_DAILY_LIMIT).toBe(5);
    });
  });
});
