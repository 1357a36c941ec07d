import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../../support/console-browser.js';

describe('the /docs page in headless Chromium', function () {
  this.timeout(120_000);
  let t: TestService;
  let context: BrowserContext | undefined;
  let profileDir: string | undefined;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.warn(`      skipped: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`);
      this.skip();
    }
    t = await startTestService({ customers: ['bobs_burgers'], overrides: { worker: { enabled: false } } });
    profileDir = await mkdtemp(path.join(tmpdir(), 'dp-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await context?.close();
    if (profileDir !== undefined) await rm(profileDir, { recursive: true, force: true });
    await t?.stop();
  });

  it('loads from local assets only and shows the jobs endpoints', async () => {
    const page = await context!.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    const response = await page.goto(`${t.service.httpUrl}/docs`);
    assert.equal(response?.status(), 200);
    await page.waitForSelector('.opblock-summary-path', { timeout: 30_000 });

    assert.match(await page.locator('.info .title').innerText(), /DataProcessor API/);
    const paths = await page.locator('.opblock-summary-path').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-path')));
    for (const expected of [
      '/api/1.0/jobs',
      '/api/1.0/jobs/{id}',
      '/api/1.0/jobs/{id}/files/{name}',
      '/api/1.0/jobs/{id}/retry',
      '/api/1.0/jobs/{id}/cancel',
      '/api/1.0/jobs/replay',
      '/api/1.0/jobs/summary',
    ]) {
      assert.ok(paths.includes(expected), `${expected} shown; saw ${paths.join(', ')}`);
    }
    assert.ok(await page.locator('.opblock-tag', { hasText: 'jobs' }).first().isVisible());

    const origin = new URL(t.service.httpUrl!).origin;
    const foreign = requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'));
    assert.deepEqual(foreign, [], 'no CDN or other host');
    assert.ok(requested.includes(`${origin}/api/1.0/openapi.json`));
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  });

  it('runs "Try it out" on the main GET routes with an admin key, and every pre-filled example is accepted', async () => {
    const page = await context!.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${t.service.httpUrl}/docs`);
    await page.waitForSelector('.opblock-summary-path', { timeout: 30_000 });
    await page.locator('button.authorize').first().click();
    await page.locator('.auth-container input').first().fill(TEST_ADMIN_KEY);
    await page.locator('.auth-btn-wrapper button.authorize').first().click();
    await page.locator('.auth-btn-wrapper button.btn-done').first().click();

    const statuses: Record<string, string> = {};
    for (const route of [
      '/api/1.0/jobs',
      '/api/1.0/jobs/summary',
      '/api/1.0/customers',
      '/api/1.0/api-keys',
      '/api/1.0/holds',
      '/api/1.0/sources',
      '/api/1.0/refused',
      '/api/1.0/admin/purge',
      '/api/1.0/uploads',
    ]) {
      const block = page.locator('.opblock-get', { has: page.locator(`.opblock-summary-path[data-path="${route}"]`) }).first();
      await block.locator('.opblock-summary').first().click();
      await block.locator('button.try-out__btn').click();
      await block.locator('button.execute').click();
      const status = block.locator('.live-responses-table .response .response-col_status').first();
      await status.waitFor({ timeout: 15_000 });
      statuses[route] = (await status.innerText()).trim();
      // Collapse again so the next block is in view and the page stays small.
      await block.locator('.opblock-summary').first().click();
    }
    assert.deepEqual(
      Object.entries(statuses).filter(([, status]) => status !== '200'),
      [],
      JSON.stringify(statuses),
    );
  });
});
