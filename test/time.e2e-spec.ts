import { request, startTestServer, TestServer } from './support/test-server.js';

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

  it('returns the pinned time in the server time zone', async () => {
    server.pinClock('2026-03-01T12:34:56.789Z');
    const response = await request(server.baseUrl, '/get-current-time', { key });

    expect(response.status).toBe(200);
    expect(response.body.unixMs).toBe(Date.parse('2026-03-01T12:34:56.789Z'));
    expect(response.body.currentTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(Date.parse(response.body.iso)).toBe(response.body.unixMs);
    expect(response.body.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
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

  it('answers an empty POST with Content-Type: application/json', async () => {
    const response = await request(server.baseUrl, '/get-current-time', {
      key,
      headers: { 'content-type': 'application/json' },
    });

    expect(response.status).toBe(200);
  });

  it('answers a POST without a body or content type', async () => {
    const response = await request(server.baseUrl, '/get-current-time', { key });

    expect(response.status).toBe(200);
  });

  it('answers GET the same way', async () => {
    const response = await request(server.baseUrl, '/get-current-time', { method: 'GET', key });

    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['currentTime', 'iso', 'timeZone', 'unixMs']);
  });

  it('is not metered, so a key with a zero quota can call it', async () => {
    for (let call = 0; call < 3; call++) {
      const response = await request(server.baseUrl, '/get-current-time', { key });
      expect(response.status).toBe(200);
    }
  });
});
