import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { findJob } from '../../../src/db/jobs-repository.js';
import { revokeApiKey } from '../../../src/db/api-keys-repository.js';
import { hasChromium, launchChromium, newConsoleContext, signIn, CHROMIUM } from '../../support/console-browser.js';
import { seedConsoleFixtures, type ConsoleFixtures } from '../../support/console-fixtures.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';

describe('the operator console: customer keys, CSRF and sessions', function () {
  this.timeout(180_000);
  let t: TestService;
  let base: string;
  let fixtures: ConsoleFixtures;
  let browser: Browser | undefined;
  let jimmy: BrowserContext;
  let page: Page;

  before(async function () {
    if (!hasChromium()) {
      console.warn(`      skipped: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`);
      this.skip();
    }
    t = await startTestService({
      customers: ['bobs_burgers', 'jimmys_pizza'],
      overrides: { worker: { pollIntervalMs: 100 }, sources: { expectedIntervalHours: { 'test/echo': 1 } } },
    });
    base = t.service.httpUrl!;
    fixtures = await seedConsoleFixtures(t);
    browser = await launchChromium();
    jimmy = await newConsoleContext(browser);
    page = await jimmy.newPage();
    await signIn(page, base, fixtures.jimmyKey);
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** The session's form token, read from a page the way the browser has it. */
  async function csrfOf(target: Page): Promise<string> {
    return (await target.locator('input[name="csrf"]').first().getAttribute('value'))!;
  }

  it("shows a customer key only its customer's counts, jobs, sources, unclassified mail and refusals", async () => {
    await page.goto(`${base}/console`);
    const cards = await page.locator('.card').allInnerTexts();
    assert.ok(
      cards.some((text) => /^3\s+Arrivals$/.test(text)),
      `jimmy's three arrivals only: ${cards.join(' | ')}`,
    );
    assert.ok(cards.some((text) => /^1\s+Refused arrivals$/.test(text)));
    assert.ok(
      cards.some((text) => /^0\s+Silent sources$/.test(text)),
      "bob's silent grid is not counted",
    );
    assert.ok(cards.some((text) => /^1\s+unclassified$/.test(text)));
    assert.match((await page.locator('#arrivals-chart-desc').textContent()) ?? '', /^3 arrivals in 24 hours/);
    assert.equal(await page.getByRole('heading', { name: 'Service health' }).count(), 0, 'service health is for admins');

    const everyPage = [
      '/console',
      '/console/jobs',
      '/console/jobs?customer=bobs_burgers',
      '/console/sources',
      '/console/unclassified',
      '/console/refused',
      '/console/alerts',
    ];
    for (const path of [...everyPage, '/console/refused?customer=bobs_burgers', '/console/sources?customer=bobs_burgers']) {
      await page.goto(`${base}${path}`);
      const text = await page.locator('main').innerText();
      assert.ok(!/bobs_burgers|grid1|elsewhere\.example|spam\.example/.test(text), `${path} shows nothing of bobs_burgers or of nobody's refusals:\n${text}`);
    }
    assert.equal(await page.getByRole('link', { name: 'Holds' }).count(), 0, "holds are for admins: not in a customer key's navigation");
    assert.equal((await page.request.get(`${base}/console/holds`)).status(), 403);
    const refusedHold = await page.request.post(`${base}/console/holds`, {
      form: { csrf: await csrfOf(page), customer: 'jimmys_pizza' },
      headers: { Origin: new URL(base).origin },
      maxRedirects: 0,
    });
    assert.equal(refusedHold.status(), 403);
    assert.equal((await t.service.database.db.selectFrom('holds').select('id').execute()).length, 0, 'a customer key placed no hold');
    await page.goto(`${base}/console/jobs`);
    assert.equal(await page.locator('tbody tr').count(), 3);
    assert.equal(await page.getByLabel('Customer').count(), 0, 'no customer filter for a customer key');
  });

  it("answers another customer's job page, download and actions like a missing job, and changes nothing", async () => {
    const request = page.request;
    for (const path of [
      `/console/jobs/${fixtures.bob.failed}`,
      `/console/jobs/${fixtures.bob.failed}/confirm/retry`,
      `/console/jobs/${fixtures.bob.failed}/files/x`,
    ]) {
      const response = await request.get(`${base}${path}`);
      assert.equal(response.status(), 404, path);
      assert.ok(!(await response.text()).includes('bobs_burgers'), path);
    }
    // The real file name of bob's original, so only the customer check can refuse the download.
    const bobFile = (await t.service.database.db.selectFrom('jobs').select('manifest').where('id', '=', fixtures.bob.failed).executeTakeFirstOrThrow())
      .manifest as {
      files: Array<{ name: string }>;
    };
    assert.equal((await request.get(`${base}/console/jobs/${fixtures.bob.failed}/files/${bobFile.files[0]!.name}`)).status(), 404);

    await page.goto(`${base}/console/jobs`);
    const csrf = await csrfOf(page);
    const headers = { Origin: new URL(base).origin };
    for (const [action, form] of [
      ['retry', {}],
      ['cancel', {}],
      ['replay', {}],
      ['assign', { module: 'test/echo', group: 'stolen' }],
      ['dismiss', { reason: 'not mine' }],
    ] as const) {
      const id = action === 'assign' || action === 'dismiss' ? fixtures.bob.unclassified : fixtures.bob.failed;
      const response = await request.post(`${base}/console/jobs/${id}/${action}`, { form: { csrf, ...form }, headers, maxRedirects: 0 });
      assert.equal(response.status(), action === 'replay' ? 403 : 404, action);
    }
    assert.equal((await findJob(t.service.database.db, fixtures.bob.failed))!.status, 'failed');
    assert.equal((await findJob(t.service.database.db, fixtures.bob.unclassified))!.status, 'unclassified');
    // The same POST on its own job works: the refusals above were the customer check.
    const own = await request.post(`${base}/console/jobs/${fixtures.jimmy.failed}/retry`, { form: { csrf }, headers, maxRedirects: 0 });
    assert.equal(own.status(), 303);
  });

  it("refuses a POST without the form token, with another session's token, or from another origin", async () => {
    const admin = await newConsoleContext(browser!);
    try {
      const adminPage = await admin.newPage();
      await signIn(adminPage, base, TEST_ADMIN_KEY);
      const adminCsrf = await csrfOf(adminPage);
      const jimmyCsrf = await csrfOf(page);
      const target = `${base}/console/jobs/${fixtures.jimmy.unclassified}/dismiss`;
      const origin = new URL(base).origin;
      const attempts: Array<[string, Record<string, string>, Record<string, string>]> = [
        ['no token', { reason: 'x' }, { Origin: origin }],
        ["another session's token", { reason: 'x', csrf: jimmyCsrf }, { Origin: origin }],
        ['another origin', { reason: 'x', csrf: adminCsrf }, { Origin: 'http://evil.example' }],
        ['another origin by Referer', { reason: 'x', csrf: adminCsrf }, { Origin: '', Referer: 'http://evil.example/page' }],
      ];
      for (const [name, form, headers] of attempts) {
        const response = await adminPage.request.post(target, { form, headers, maxRedirects: 0 });
        assert.equal(response.status(), 403, name);
        assert.match(await response.text(), /form token|Origin\/Referer/, name);
      }
      assert.equal((await findJob(t.service.database.db, fixtures.jimmy.unclassified))!.status, 'unclassified');
      // Sign-in has no session yet: the origin check alone guards it (no login CSRF).
      const signInFromElsewhere = await fetch(`${base}/console/sign-in`, {
        method: 'POST',
        headers: { Origin: 'http://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ key: TEST_ADMIN_KEY }),
        redirect: 'manual',
      });
      assert.equal(signInFromElsewhere.status, 403);
      assert.equal(signInFromElsewhere.headers.get('set-cookie'), null);
      // Properly sent, the same form works.
      const ok = await adminPage.request.post(target, { form: { reason: 'spam', csrf: adminCsrf }, headers: { Origin: origin }, maxRedirects: 0 });
      assert.equal(ok.status(), 303);
      assert.equal((await findJob(t.service.database.db, fixtures.jimmy.unclassified))!.status, 'cancelled');
    } finally {
      await admin.close();
    }
  });

  it('ends the sessions of a revoked key at once', async () => {
    await page.goto(`${base}/console/jobs`);
    assert.equal(new URL(page.url()).pathname, '/console/jobs');
    assert.ok(await revokeApiKey(t.service.database.db, fixtures.jimmyKeyId));
    await page.goto(`${base}/console/jobs`);
    assert.equal(new URL(page.url()).pathname, '/console/sign-in');
    const post = await page.request.post(`${base}/console/jobs/${fixtures.jimmy.failed}/retry`, {
      form: { csrf: 'x' },
      headers: { Origin: new URL(base).origin },
      maxRedirects: 0,
    });
    assert.equal(post.status(), 401);
    await page.getByLabel('API key').fill(fixtures.jimmyKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.equal(await page.getByRole('alert').count(), 1, 'a revoked key cannot sign in again');
  });
});
