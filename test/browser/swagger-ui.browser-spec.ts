import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';
import type { Browser, Locator, Page } from 'playwright-core';

import { runCli, ServerProcess, startServerProcess } from '../support/processes.js';

/** Debian's Chromium; the test never downloads a browser. */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Keeps Chromium off the network: without these flags it calls Google hosts at start. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const ARTIFACTS = join(process.cwd(), 'artifacts');
const SCREENSHOT = join(ARTIFACTS, 'swagger-ui.png');

/** 2^53 + 5, the smallest prime above 2^53; a double cannot hold it. */
const BIG_PRIME = '9007199254740997';

/** Returns the operation block of `method` `path`, expanded, with "Try it out" switched on. */
async function openOperation(page: Page, method: string, path: string): Promise<Locator> {
  const operation = page.locator(`.opblock.opblock-${method}`, {
    has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
  });
  await operation.locator('.opblock-summary').first().click();
  await operation.getByRole('button', { name: 'Try it out' }).click();

  return operation;
}

/** Clicks Execute and waits for the live response; returns its status cell and body. */
async function execute(operation: Locator): Promise<{ status: string; body: string }> {
  await operation.getByRole('button', { name: 'Execute' }).click();
  const response = operation.locator('.live-responses-table .response');
  const status = response.locator('.response-col_status');
  await status.waitFor();
  const body = response.locator('.response-col_description pre').first();

  return { status: (await status.innerText()).trim(), body: await body.innerText() };
}

describe('Swagger UI in Chromium', () => {
  let directory: string;
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'primetime-browser-'));
    const databasePath = join(directory, 'primetime.sqlite');
    server = await startServerProcess(databasePath);
    const created = await runCli(databasePath, ['keys', 'create', '--name', 'browser', '--json']);
    expect(created.exitCode).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    await page.goto(`${server.baseUrl}/docs`);

    await page.locator('.auth-wrapper .authorize').click();
    const dialog = page.locator('.dialog-ux');
    await dialog.locator('input[type=text]').first().fill(key);
    await dialog.locator('button.modal-btn.authorize').click();
    await dialog.locator('button.btn-done').click();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('checks a number above 2^53 with every digit', async () => {
    const operation = await openOperation(page, 'post', '/check-prime');
    await operation.locator('textarea.body-param__text').fill(`{"number": ${BIG_PRIME}}`);

    const { status, body } = await execute(operation);

    expect(status).toBe('200');
    expect(body).toContain(`"number": ${BIG_PRIME}`);
    expect(body).toContain('"result": "prime"');
    mkdirSync(ARTIFACTS, { recursive: true });
    await operation.screenshot({ path: SCREENSHOT });
  });

  it('gets the current time', async () => {
    const operation = await openOperation(page, 'post', '/get-current-time');

    const { status, body } = await execute(operation);

    expect(status).toBe('200');
    expect(body).toMatch(/"currentTime": "\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"/);
  });
});
