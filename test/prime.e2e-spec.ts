import { LARGE_PRIMES } from '../bench/large-primes.js';
import { isStrongProbablePrime } from '../src/prime/miller-rabin.js';
import { checkPrime, request, startTestServer, TestServer } from './support/test-server.js';

describe('POST /check-prime', () => {
  let server: TestServer;
  let key: string;

  beforeAll(async () => {
    server = await startTestServer();
    ({ key } = await server.mintKey({ limit: 1_000_000, period: 'day' }));
  });

  afterAll(async () => {
    await server.remove();
  });

  describe('verdicts', () => {
    const cases: [string, boolean][] = [
      ['0', false],
      ['1', false],
      ['2', true],
      ['3', true],
      ['4', false],
      ['5', true],
      ['-7', false],
      ['561', false],
      ['2047', false],
      ['3215031751', false],
      ['3317044064679887385961981', false],
      ['9007199254740997', true],
      ['100000000000000000039', true],
      ['172983479832623897492387592384682937659382477', false],
      ['170141183460469231731687303715884105727', true],
    ];

    it.each(cases)('returns isPrime for %s as a bare JSON number', async (digits, expected) => {
      const response = await checkPrime(server, key, `{"number": ${digits}}`);

      expect(response.status).toBe(200);
      expect(response.text.startsWith(`{"number":${digits},"isPrime":${expected},`)).toBe(true);
    });

    it.each(cases)('returns isPrime for "%s" as a string', async (digits, expected) => {
      const response = await checkPrime(server, key, `{"number": "${digits}"}`);

      expect(response.status).toBe(200);
      expect(response.text.startsWith(`{"number":"${digits}","isPrime":${expected},`)).toBe(true);
    });
  });

  it('echoes a big bare number with every digit', async () => {
    const response = await checkPrime(server, key, '{"number": 9007199254740997}');

    expect(response.text).toBe(
      '{"number":9007199254740997,"isPrime":true,"result":"prime","method":"miller_rabin_fixed_bases","bits":54,"digits":16}',
    );
  });

  it('accepts a form-encoded number', async () => {
    const response = await request(server.baseUrl, '/check-prime', {
      key,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'number=13',
    });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ number: '13', isPrime: true });
  });

  it('parses JSON sent with the form content type by curl -d', async () => {
    const response = await request(server.baseUrl, '/check-prime', {
      key,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"number": 9007199254740997}',
    });

    expect(response.text.startsWith('{"number":9007199254740997,"isPrime":true,')).toBe(true);
  });

  describe('verdict details', () => {
    it.each([
      ['0', { isPrime: false, result: 'neither', method: 'definition', bits: 0, digits: 1 }],
      ['-7', { isPrime: false, result: 'neither', method: 'definition', bits: 3, digits: 1 }],
      ['97', { isPrime: true, result: 'prime', method: 'trial_division', bits: 7, digits: 2 }],
      [
        '561',
        { result: 'composite', method: 'trial_division', witness: { type: 'factor', value: '3' } },
      ],
      [
        '3825123056546413051',
        {
          result: 'composite',
          method: 'miller_rabin_fixed_bases',
          witness: { type: 'miller_rabin_base', value: '37' },
        },
      ],
      [
        '170141183460469231731687303715884105727',
        { result: 'probable_prime', method: 'baillie_psw_random_miller_rabin', bits: 127 },
      ],
    ])('describes %s', async (digits, expected) => {
      const response = await checkPrime(server, key, `{"number": ${digits}}`);

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject(expected);
    });

    it('omits the witness for a prime', async () => {
      const response = await checkPrime(server, key, '{"number": 2147483647}');

      expect(response.body).not.toHaveProperty('witness');
    });

    it('answers a 4096-bit prime from a worker thread', async () => {
      const response = await checkPrime(server, key, `{"number": "${LARGE_PRIMES[4096]}"}`);

      expect(response.body).toMatchObject({
        isPrime: true,
        result: 'probable_prime',
        bits: 4096,
        digits: 1233,
      });
    });

    it('gives a composite 2^1009-1 a checkable witness', async () => {
      const n = 2n ** 1009n - 1n;
      const response = await checkPrime(server, key, `{"number": "${n}"}`);
      const base = BigInt(response.body.witness.value);

      expect(response.body).toMatchObject({
        isPrime: false,
        result: 'composite',
        witness: { type: 'miller_rabin_base' },
      });
      expect(isStrongProbablePrime(n, base)).toBe(false);
    });
  });

  describe('bad input', () => {
    const badBodies: [string, string | undefined, string][] = [
      ['missing body', undefined, 'body'],
      ['empty body', '', 'body'],
      ['malformed JSON', '{"number": ', 'body'],
      ['JSON null body', 'null', 'body'],
      ['JSON array body', '[7]', 'body'],
      ['JSON string body', '"7"', 'body'],
      ['missing field', '{}', 'number'],
      ['decimal fraction', '{"number": 7.5}', 'number'],
      ['exponent', '{"number": 1e3}', 'number'],
      ['boolean', '{"number": true}', 'number'],
      ['array', '{"number": [7]}', 'number'],
      ['null', '{"number": null}', 'number'],
      ['object', '{"number": {"value": 7}}', 'number'],
      ['letters in string', '{"number": "12a"}', 'number'],
      ['empty string', '{"number": ""}', 'number'],
      ['plus sign', '{"number": "+7"}', 'number'],
      ['spaces in string', '{"number": " 7"}', 'number'],
      ['hex string', '{"number": "0x1F"}', 'number'],
      ['unknown field', '{"number": 7, "extra": 1}', 'extra'],
      ['duplicate key', '{"number": 7, "number": 8}', 'body'],
      ['prototype key', '{"__proto__": {"number": 7}}', 'number'],
    ];

    it.each(badBodies)('rejects %s with 400 naming the field', async (_label, body, field) => {
      const response = await request(server.baseUrl, '/check-prime', {
        key,
        headers: { 'content-type': 'application/json' },
        body,
      });

      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request', field });
      expect(response.body.message).toMatch(/number|body|extra/);
    });

    it('names the allowed field when an unknown one is sent', async () => {
      const response = await checkPrime(server, key, '{"num": 7}');

      expect(response.body.message).toBe(
        'num is not a field of this request. Send only the field number, for example {"number": 7}.',
      );
    });

    it('asks for the JSON content type when JSON is sent as text/plain', async () => {
      const response = await request(server.baseUrl, '/check-prime', {
        key,
        headers: { 'content-type': 'text/plain' },
        body: '{"number": 7}',
      });

      expect(response.status).toBe(400);
      expect(response.body.message).toContain('Content-Type: application/json');
    });

    it('names the offending value in the message', async () => {
      const response = await checkPrime(server, key, '{"number": 7.5}');

      expect(response.body.message).toContain('got 7.5');
    });

    it('rejects a number over the bit limit with 413 naming the limit', async () => {
      const response = await checkPrime(server, key, `{"number": ${'9'.repeat(1300)}}`);

      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ statusCode: 413, field: 'number' });
      expect(response.body.message).toContain('below 2^4096');
    });

    it('accepts a number at the bit limit', async () => {
      const largest = (2n ** 4096n - 1n).toString();
      const response = await checkPrime(server, key, `{"number": "${largest}"}`);

      expect(response.status).toBe(200);
      expect(response.body.isPrime).toBe(false);
    });

    it('rejects a body over the size limit with 413', async () => {
      const response = await checkPrime(server, key, `{"number": "${'1'.repeat(20_000)}"}`);

      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ statusCode: 413, field: 'body' });
      expect(response.body.message).toContain('16384 bytes');
    });

    it('rejects an unsupported content type with 415', async () => {
      const response = await request(server.baseUrl, '/check-prime', {
        key,
        headers: { 'content-type': 'application/xml' },
        body: '<number>7</number>',
      });

      expect(response.status).toBe(415);
      expect(response.body).toMatchObject({ statusCode: 415, field: 'body' });
    });
  });
});
