import { DataSource } from 'typeorm';

import { request, startTestServer, TestServer } from './support/test-server.js';

describe('GET /health', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startTestServer();
  });

  afterEach(async () => {
    await server.remove();
  });

  it('returns 200 without a key when healthy', async () => {
    const response = await request(server.baseUrl, '/health', { method: 'GET' });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, migrations: { status: 'up' } },
      error: {},
      details: { database: { status: 'up' }, migrations: { status: 'up' } },
    });
  });

  it('is not rate limited or metered', async () => {
    await server.remove();
    server = await startTestServer({ environment: { BURST_LIMIT: '2', QUOTA_DAILY_LIMIT: '1' } });
    const { key } = await server.mintKey();

    const statuses: number[] = [];
    for (let call = 0; call < 5; call++) {
      statuses.push((await request(server.baseUrl, '/health', { method: 'GET', key })).status);
    }

    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const time = await request(server.baseUrl, '/get-current-time', { key });
    expect(time.status).toBe(200);
  });

  it('returns 503 when a migration is pending', async () => {
    const dataSource = server.app.get(DataSource);
    await dataSource.query('DELETE FROM migrations WHERE id = (SELECT MAX(id) FROM migrations)');

    const response = await request(server.baseUrl, '/health', { method: 'GET' });

    expect(response.status).toBe(503);
    expect(response.body.status).toBe('error');
    expect(response.body.info.database.status).toBe('up');
    expect(response.body.error).toEqual({
      migrations: { status: 'down', message: 'Migrations are pending. Run: npm run migration:run' },
    });
  });

  it('returns 503 when the database is closed', async () => {
    await server.app.get(DataSource).destroy();

    const response = await request(server.baseUrl, '/health', { method: 'GET' });

    expect(response.status).toBe(503);
    expect(response.body.status).toBe('error');
    expect(response.body.error.database.status).toBe('down');
    expect(response.body.error.migrations.status).toBe('down');
  });

  it('is documented in the OpenAPI document without security', async () => {
    const document = await request(server.baseUrl, '/docs-json', { method: 'GET' });
    const operation = document.body.paths['/health'].get;

    expect(operation.summary).toBe('Check that the server can serve requests');
    expect(operation.security).toBeUndefined();
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '503']));
  });
});
