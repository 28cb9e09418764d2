import { request, startTestServer, TestServer } from './support/test-server.js';

const SERVER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

const FIELDS = [
  'abbreviation',
  'currentTime',
  'dst',
  'iso',
  'timeZone',
  'tzdataVersion',
  'unixMs',
  'unixSeconds',
  'utc',
  'utcOffset',
];

describe('/get-current-time', () => {
  let server: TestServer;
  let key: string;

  beforeAll(async () => {
    server = await startTestServer();
    ({ key } = await server.mintKey({ limit: 0 }));
  });

  afterAll(async () => {
    await server.remove();
  });

  /** GETs the route with `timezone` in the query string. */
  const inZone = (timeZone: string) =>
    request(server.baseUrl, `/get-current-time?timezone=${encodeURIComponent(timeZone)}`, {
      method: 'GET',
      key,
    });

  /** POSTs `json` as the body. */
  const postJson = (json: unknown, query = '') =>
    request(server.baseUrl, `/get-current-time${query}`, { key, json });

  describe('without a time zone', () => {
    it('returns the pinned time in the server time zone', async () => {
      server.pinClock('2026-03-01T12:34:56.789Z');
      const response = await request(server.baseUrl, '/get-current-time', { key });

      expect(response.status).toBe(200);
      expect(response.body.unixMs).toBe(Date.parse('2026-03-01T12:34:56.789Z'));
      expect(response.body.currentTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(Date.parse(response.body.iso)).toBe(response.body.unixMs);
      expect(response.body.timeZone).toBe(SERVER_ZONE);
    });

    it('formats currentTime from the local date and time', async () => {
      server.pinClock('2026-03-01T12:34:56.789Z');
      const response = await request(server.baseUrl, '/get-current-time', { key });
      const local = new Date('2026-03-01T12:34:56.789Z');
      const pad = (value: number): string => String(value).padStart(2, '0');
      const expected =
        `${local.getFullYear()}-${pad(local.getMonth() + 1)}-${pad(local.getDate())} ` +
        `${pad(local.getHours())}:${pad(local.getMinutes())}:${pad(local.getSeconds())}`;

      expect(response.body.currentTime).toBe(expected);
    });

    it('gives the local UTC offset', async () => {
      server.pinClock('2026-03-01T12:34:56.789Z');
      const response = await request(server.baseUrl, '/get-current-time', { key });
      const minutes = -new Date('2026-03-01T12:34:56.789Z').getTimezoneOffset();
      const pad = (value: number): string => String(value).padStart(2, '0');
      const expected = `${minutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;

      expect(response.body.utcOffset).toBe(expected);
      expect(response.body.iso.endsWith(expected)).toBe(true);
    });

    it('answers an empty POST with Content-Type: application/json', async () => {
      const response = await request(server.baseUrl, '/get-current-time', {
        key,
        headers: { 'content-type': 'application/json' },
      });

      expect(response.status).toBe(200);
      expect(response.body.timeZone).toBe(SERVER_ZONE);
    });

    it('answers a POST without a body or content type', async () => {
      const response = await request(server.baseUrl, '/get-current-time', { key });

      expect(response.status).toBe(200);
    });

    it('answers GET with the same fields', async () => {
      const response = await request(server.baseUrl, '/get-current-time', { method: 'GET', key });

      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(FIELDS);
    });

    it.each([
      ['an empty string', ''],
      ['null', null],
    ])('reads %s as no time zone', async (_case, timezone) => {
      const response = await postJson({ timezone });

      expect(response.status).toBe(200);
      expect(response.body.timeZone).toBe(SERVER_ZONE);
    });

    it('reads an empty query parameter as no time zone', async () => {
      const response = await request(server.baseUrl, '/get-current-time?timezone=', {
        method: 'GET',
        key,
      });

      expect(response.status).toBe(200);
      expect(response.body.timeZone).toBe(SERVER_ZONE);
    });

    it('is not metered, so a key with a zero quota can call it', async () => {
      for (let call = 0; call < 3; call++) {
        const response = await request(server.baseUrl, '/get-current-time', { key });
        expect(response.status).toBe(200);
      }
    });
  });

  describe('across daylight-saving changes', () => {
    it.each([
      ['Europe/Berlin', '2026-03-29T00:59:59.000Z', '2026-03-29 01:59:59', '+01:00', 'CET', false],
      ['Europe/Berlin', '2026-03-29T01:00:00.000Z', '2026-03-29 03:00:00', '+02:00', 'CEST', true],
      ['Europe/Berlin', '2026-10-25T00:59:59.000Z', '2026-10-25 02:59:59', '+02:00', 'CEST', true],
      ['Europe/Berlin', '2026-10-25T01:00:00.000Z', '2026-10-25 02:00:00', '+01:00', 'CET', false],
      [
        'America/New_York',
        '2026-03-08T06:59:59.000Z',
        '2026-03-08 01:59:59',
        '-05:00',
        'EST',
        false,
      ],
      [
        'America/New_York',
        '2026-03-08T07:00:00.000Z',
        '2026-03-08 03:00:00',
        '-04:00',
        'EDT',
        true,
      ],
      [
        'America/New_York',
        '2026-11-01T05:59:59.000Z',
        '2026-11-01 01:59:59',
        '-04:00',
        'EDT',
        true,
      ],
      [
        'America/New_York',
        '2026-11-01T06:00:00.000Z',
        '2026-11-01 01:00:00',
        '-05:00',
        'EST',
        false,
      ],
      [
        'Australia/Sydney',
        '2026-04-04T15:59:59.000Z',
        '2026-04-05 02:59:59',
        '+11:00',
        'AEDT',
        true,
      ],
      [
        'Australia/Sydney',
        '2026-04-04T16:00:00.000Z',
        '2026-04-05 02:00:00',
        '+10:00',
        'AEST',
        false,
      ],
    ])('reads %s at %s', async (timeZone, instant, currentTime, utcOffset, abbreviation, dst) => {
      server.pinClock(instant);
      const response = await inZone(timeZone);

      expect(response.status).toBe(200);
      expect(response.body.timeZone).toBe(timeZone);
      expect(response.body.currentTime).toBe(currentTime);
      expect(response.body.utcOffset).toBe(utcOffset);
      expect(response.body.abbreviation).toBe(abbreviation);
      expect(response.body.dst).toBe(dst);
      expect(response.body.iso).toBe(`${currentTime.replace(' ', 'T')}.000${utcOffset}`);
      expect(response.body.utc).toBe(instant);
    });
  });

  describe('with a time zone', () => {
    it('returns every field for the instant', async () => {
      server.pinClock('2026-12-04T21:30:05.123Z');
      const response = await inZone('Europe/Paris');

      expect(response.body).toEqual({
        currentTime: '2026-12-04 22:30:05',
        iso: '2026-12-04T22:30:05.123+01:00',
        utc: '2026-12-04T21:30:05.123Z',
        timeZone: 'Europe/Paris',
        abbreviation: 'CET',
        utcOffset: '+01:00',
        dst: false,
        unixSeconds: 1796419805,
        unixMs: 1796419805123,
        tzdataVersion: process.versions.tz,
      });
    });

    it('gives the offset as the abbreviation for a zone without one', async () => {
      server.pinClock('2026-12-04T21:30:05.123Z');
      const response = await inZone('Asia/Tokyo');

      expect(response.body.abbreviation).toBe('GMT+9');
      expect(response.body.utcOffset).toBe('+09:00');
    });

    it.each([
      ['query string of a GET', () => inZone('Asia/Tokyo')],
      [
        'query string of a POST',
        () => request(server.baseUrl, '/get-current-time?timezone=Asia/Tokyo', { key }),
      ],
      ['JSON body', () => postJson({ timezone: 'Asia/Tokyo' })],
      [
        'form body',
        () =>
          request(server.baseUrl, '/get-current-time', {
            key,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'timezone=Asia%2FTokyo',
          }),
      ],
    ])('reads the zone from the %s', async (_place, send) => {
      server.pinClock('2026-12-04T21:30:05.123Z');
      const response = await send();

      expect(response.status).toBe(200);
      expect(response.body.timeZone).toBe('Asia/Tokyo');
      expect(response.body.currentTime).toBe('2026-12-05 06:30:05');
    });

    it('accepts the same zone in the query string and the body', async () => {
      const response = await postJson({ timezone: 'asia/tokyo' }, '?timezone=Asia/Tokyo');

      expect(response.status).toBe(200);
      expect(response.body.timeZone).toBe('Asia/Tokyo');
    });

    it('matches names case-insensitively', async () => {
      const response = await inZone('america/new_york');

      expect(response.status).toBe(200);
      expect(response.body.timeZone).toBe('America/New_York');
    });

    it('resolves an alias', async () => {
      const response = await inZone('US/Eastern');

      expect(response.status).toBe(200);
      expect(response.body.timeZone).toBe('America/New_York');
    });

    it.each(['UTC', 'Etc/GMT-14'])('accepts %s', async (timeZone) => {
      const response = await inZone(timeZone);

      expect(response.status).toBe(200);
      expect(response.body.timeZone).toBe(timeZone);
    });

    it('ignores the other fields of the body', async () => {
      const response = await postJson({ timezone: 'UTC', number: 7, extra: { a: 1 } });

      expect(response.status).toBe(200);
      expect(response.body.timeZone).toBe('UTC');
    });
  });

  describe('bodies that are not JSON objects', () => {
    it.each([
      ['a JSON array', 'application/json', '[{"timezone": "UTC"}]'],
      ['a JSON string', 'application/json', '"UTC"'],
      ['a JSON number', 'application/json', '12345678901234567890'],
      ['JSON null', 'application/json', 'null'],
      ['invalid JSON', 'application/json', '{"timezone": "UTC"'],
      ['plain text', 'text/plain', 'timezone=UTC'],
    ])('ignores %s', async (_case, contentType, body) => {
      const response = await request(server.baseUrl, '/get-current-time', {
        key,
        headers: { 'content-type': contentType },
        body,
      });

      expect(response.status).toBe(200);
      expect(response.body.timeZone).toBe(SERVER_ZONE);
    });
  });

  describe('an unknown time zone', () => {
    it('is a 400 that names the field and suggests the closest zone', async () => {
      const response = await inZone('Europe/Pari');

      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message:
          'timezone "Europe/Pari" is not a known IANA time zone. Did you mean "Europe/Paris"?',
        field: 'timezone',
        value: 'Europe/Pari',
        suggestions: ['Europe/Paris'],
      });
    });

    it.each([
      ['America/New York', ['America/New_York']],
      ['paris', ['Europe/Paris']],
    ])('suggests a zone for %j', async (name, suggestions) => {
      const response = await postJson({ timezone: name });

      expect(response.status).toBe(400);
      expect(response.body.suggestions).toEqual(suggestions);
    });

    it('suggests nothing for a name far from every zone', async () => {
      const response = await inZone('Xyzzy');

      expect(response.status).toBe(400);
      expect(response.body.suggestions).toEqual([]);
      expect(response.body.message).toContain('Send an IANA name such as "Europe/Paris"');
    });

    it.each(['+01:00', 'GMT+5', ' UTC', '../../etc/passwd'])('rejects %j', async (name) => {
      const response = await inZone(name);

      expect(response.status).toBe(400);
      expect(response.body.field).toBe('timezone');
      expect(response.body.value).toBe(name);
    });

    it('cuts a long name to 100 characters in the error', async () => {
      const response = await postJson({ timezone: 'x'.repeat(5000) });

      expect(response.status).toBe(400);
      expect(response.body.value).toBe(`${'x'.repeat(100)}…`);
      expect(response.body.suggestions).toEqual([]);
    });
  });

  describe('a timezone that is not a string', () => {
    it.each([
      ['a number', '{"timezone": 5}', 'the number 5'],
      ['a fraction', '{"timezone": 1.5}', 'the number 1.5'],
      ['a big number', '{"timezone": 123456789012345678901234567890}', 'the number 1234567890'],
      ['a boolean', '{"timezone": true}', 'the boolean true'],
      ['an array', '{"timezone": ["UTC"]}', 'an array'],
      ['an object', '{"timezone": {"name": "UTC"}}', 'an object'],
    ])('rejects %s with a 400', async (_case, body, got) => {
      const response = await request(server.baseUrl, '/get-current-time', {
        key,
        headers: { 'content-type': 'application/json' },
        body,
      });

      expect(response.status).toBe(400);
      expect(response.body.field).toBe('timezone');
      expect(response.body.message).toContain(`got ${got}`);
    });

    it('rejects a query parameter sent twice', async () => {
      const response = await request(
        server.baseUrl,
        '/get-current-time?timezone=UTC&timezone=Asia/Tokyo',
        { method: 'GET', key },
      );

      expect(response.status).toBe(400);
      expect(response.body.field).toBe('timezone');
      expect(response.body.message).toContain('more than once');
    });

    it('rejects different zones in the query string and the body', async () => {
      const response = await postJson({ timezone: 'UTC' }, '?timezone=Asia/Tokyo');

      expect(response.status).toBe(400);
      expect(response.body.field).toBe('timezone');
      expect(response.body.message).toContain(
        'both the query string ("Asia/Tokyo") and the body ("UTC")',
      );
    });
  });

  describe('Cache-Control', () => {
    it.each([
      ['GET', 'GET'],
      ['POST', 'POST'],
    ])('is no-store on a %s', async (_name, method) => {
      const response = await request(server.baseUrl, '/get-current-time?timezone=UTC', {
        method,
        key,
      });

      expect(response.headers.get('cache-control')).toBe('no-store');
    });

    it('is no-store on a 400', async () => {
      const response = await inZone('Europe/Pari');

      expect(response.headers.get('cache-control')).toBe('no-store');
    });
  });

  describe('OpenAPI document', () => {
    it('documents the parameter, the body and the 400', async () => {
      const document = (await request(server.baseUrl, '/docs-json', { method: 'GET' })).body;
      const route = document.paths['/get-current-time'];

      for (const method of ['get', 'post']) {
        expect(route[method].parameters).toEqual(
          expect.arrayContaining([expect.objectContaining({ name: 'timezone', in: 'query' })]),
        );
        expect(route[method].responses['400'].content['application/json'].schema.$ref).toBe(
          '#/components/schemas/TimeZoneErrorResponseDto',
        );
      }
      expect(route.post.requestBody.content['application/json'].schema.$ref).toBe(
        '#/components/schemas/CurrentTimeRequestDto',
      );
      expect(Object.keys(document.components.schemas.CurrentTimeDto.properties).sort()).toEqual(
        FIELDS,
      );
    });
  });
});

describe('/get-current-time with METER_CURRENT_TIME=true', () => {
  let server: TestServer;
  let key: string;

  beforeAll(async () => {
    server = await startTestServer({ environment: { METER_CURRENT_TIME: 'true' } });
    ({ key } = await server.mintKey({ limit: 2 }));
  });

  afterAll(async () => {
    await server.remove();
  });

  it('charges a call with a zone and sends the rate-limit headers', async () => {
    const response = await request(server.baseUrl, '/get-current-time?timezone=UTC', {
      method: 'GET',
      key,
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('does not charge a call with an unknown zone', async () => {
    const rejected = await request(server.baseUrl, '/get-current-time?timezone=Nowhere', {
      method: 'GET',
      key,
    });
    const next = await request(server.baseUrl, '/get-current-time', { key });

    expect(rejected.status).toBe(400);
    expect(next.status).toBe(200);
    expect(next.headers.get('x-ratelimit-remaining')).toBe('0');
  });
});
