import { CapturingLogger } from './support/capturing-logger.js';
import { request, startTestServer, TestServer } from './support/test-server.js';

describe('request log', () => {
  const logger = new CapturingLogger();
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ logger });
  });

  afterAll(async () => {
    await server.remove();
  });

  it('writes one line per request with the key id, never the key', async () => {
    const { id, key } = await server.mintKey();

    const response = await request(server.baseUrl, '/get-current-time', {
      headers: { 'x-api-key': key },
    });

    expect(response.status).toBe(200);
    const lines = logger.lines.filter((line) => line.includes('"msg":"request completed"'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0].replace(/^log /, '').replace(/ HttpRequest$/, ''))).toMatchObject({
      method: 'POST',
      route: '/get-current-time',
      statusCode: 200,
      keyId: id,
    });
    expect(logger.lines.filter((line) => line.includes(key))).toEqual([]);
  });
});
