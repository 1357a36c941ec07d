import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hasChromium, launchChromium, newConsoleContext, screenshot, watchProblems, CHROMIUM } from '../../support/console-browser.js';
import { seedConsoleFixtures, seedDayOfTraffic, type ConsoleFixtures } from '../../support/console-fixtures.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { apiClient } from '../../support/http-client.js';
import { startWebhookReceiver } from '../../support/webhook-receiver.js';

describe('the operator console in headless Chromium (admin key)', function () {
  this.timeout(180_000);
  let t: TestService;
  let base: string;
  let fixtures: ConsoleFixtures;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

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
    context = await newConsoleContext(browser);
    page = await context.newPage();
    problems = watchProblems(page);
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('signs in with the keyboard alone: the key in a POST form, never in a URL', async () => {
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${base}/console/jobs?status=failed`);
    assert.equal(new URL(page.url()).pathname, '/console/sign-in');
    await screenshot(page, 'sign-in');
    // The key field has the focus from the start (autofocus); Tab reaches the button; Enter sends.
    assert.equal(await page.locator(':focus').getAttribute('id'), 'key');
    await page.keyboard.type(TEST_ADMIN_KEY);
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').innerText(), 'Sign in');
    const outline = await page.locator(':focus').evaluate((element) => element.ownerDocument.defaultView!.getComputedStyle(element).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused button shows its focus');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/console/jobs?status=failed`);
    assert.ok(!requested.some((url) => url.includes(TEST_ADMIN_KEY)), 'the key is in no URL');
    const cookie = (await context.cookies()).find((entry) => entry.name === 'dp_console');
    assert.ok(cookie !== undefined);
    assert.deepEqual([cookie.httpOnly, cookie.sameSite, cookie.path, cookie.value.includes(TEST_ADMIN_KEY)], [true, 'Strict', '/console', false]);
  });

  it('shows the overview: 24 h charts by source and outcome, backlog, failure rate, health', async () => {
    await page.goto(`${base}/console`);
    assert.equal(await page.locator('h1').innerText(), 'Overview');
    assert.equal(await page.locator('nav a[aria-current="page"]').innerText(), 'Overview');
    const cards = await page.locator('.card').allInnerTexts();
    assert.ok(
      cards.some((text) => /^6\s+Arrivals$/.test(text)),
      `arrivals card: ${cards.join(' | ')}`,
    );
    assert.ok(
      cards.some((text) => /^50\.0 %\s+Failure rate$/.test(text)),
      'two of four finished jobs failed',
    );
    assert.ok(cards.some((text) => /^2\s+unclassified$/.test(text)));
    assert.ok(cards.some((text) => /^1\s+Silent sources$/.test(text)));
    assert.equal(await page.locator('svg.chart').count(), 2);
    assert.match((await page.locator('#arrivals-chart-desc').textContent()) ?? '', /6 arrivals in 24 hours: API \/ upload 4, SMTP 2/);
    const health = await page.locator('table', { hasText: 'Database' }).innerText();
    assert.match(health, /Database\s+OK/);
    assert.match(health, /Disk \(data root\)\s+OK\s+[\d.]+ \w+ free/);
    // The panels refresh in place from their own URL (console.js); the fragment is the same markup.
    const panels = await page.request.get(`${base}/console/overview/panels`);
    assert.equal(panels.status(), 200);
    assert.match(await panels.text(), /Arrivals per minute, by source/);
    assert.equal(await page.locator('#refresh-toggle').isVisible(), true, 'the pause button shows once the script runs');
  });

  it('filters jobs with the API filters and pages newest first', async () => {
    await page.goto(`${base}/console/jobs`);
    assert.equal(await page.locator('tbody tr').count(), 6);
    await page.getByLabel('Status').selectOption('failed');
    await page.getByLabel('Customer').fill('bobs_burgers');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=failed/);
    const rows = await page.locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, 1, rows.join('\n'));
    assert.match(rows[0]!, /failed\s+bobs_burgers\s+test\/echo\s+grid1-b/);
    await screenshot(page, 'jobs');
    await page.getByLabel('Search', { exact: true }).fill('x');
    await page.getByRole('button', { name: 'Filter' }).click();
    assert.match(await page.getByRole('alert').innerText(), /q: give 3 to 200 characters/);
  });

  it('opens a failed job (error, hint, files, timeline) and retries it after confirming', async () => {
    await page.goto(`${base}/console/jobs?status=failed&customer=bobs_burgers`);
    await page.locator(`a[href="/console/jobs/${fixtures.bob.failed}"]`).click();
    await page.waitForURL(`${base}/console/jobs/${fixtures.bob.failed}`);
    const error = await page.locator('.error-box').innerText();
    assert.match(error, /ECHO_BAD_INPUT: line 3: <b>not a number<\/b>/, 'the message is shown as text, not markup');
    assert.match(error, /What to do: A code of the module test\/echo/);
    assert.match(await page.locator('table', { hasText: 'instruction.json' }).innerText(), /instruction\.json/);
    const download = await page.request.get(`${base}/console/jobs/${fixtures.bob.failed}/files/${await fileName(page)}`);
    assert.equal(download.status(), 200);
    assert.equal(download.headers()['content-type'], 'application/octet-stream');
    assert.match(await download.text(), /failPermanent/);
    await screenshot(page, 'job-failed');

    await page.getByRole('link', { name: 'Retry…' }).click();
    assert.match(await page.locator('h1').innerText(), /^Retry job/);
    await screenshot(page, 'job-confirm');
    await page.getByRole('button', { name: 'Yes, retry this job' }).click();
    await page.waitForURL(/done=retried/);
    assert.match(await page.getByRole('status').first().innerText(), /sent back to the queue/);
    assert.match(await page.getByRole('table', { name: /What happened to the job/ }).innerText(), /retried\s+queued\s+sent back to the queue on request/);
    await t.waitForStatus(fixtures.bob.failed, ['failed']);
  });

  it('assigns an unclassified mail to a module and group, and the job succeeds', async () => {
    await page.goto(`${base}/console/unclassified`);
    const entry = page.locator(`#job-${fixtures.bob.unclassified}`);
    assert.match(await entry.locator('h2').innerText(), /Capacity report bobs_burgers/);
    assert.match(await entry.innerText(), /storage-admin@bobs_burgers\.example/);
    assert.match(
      await entry.locator('pre.preview').innerText(),
      /weekly capacity figures of Capacity report bobs_burgers follow\.\n<script>alert\(1\)<\/script>/,
    );
    await screenshot(page, 'unclassified');
    await entry.getByLabel('Module').selectOption('test/echo');
    await entry.getByLabel('Group').fill('grid7');
    await entry.getByRole('button', { name: 'Assign' }).click();
    await page.waitForURL(/done=assigned/);
    for (let attempt = 0; attempt < 100 && !(await page.locator('.status').first().innerText()).includes('succeeded'); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await page.reload();
    }
    assert.equal(await page.locator('dl.facts .status').innerText(), 'succeeded');
    assert.match(await page.getByRole('table', { name: 'Rows written per table' }).innerText(), /test_echo_rows\s+3/);
  });

  it('flags the silent grid on the sources page', async () => {
    await page.goto(`${base}/console/sources`);
    const grid1 = page.locator('tr', { has: page.locator('th', { hasText: /^grid1$/ }) });
    assert.match(await grid1.innerText(), /silent/);
    assert.match(await page.locator('tr', { has: page.locator('th', { hasText: /^grid7$/ }) }).innerText(), /on time/);
    assert.match(await page.getByRole('status').first().innerText(), /1 silent source/);
    await screenshot(page, 'sources');
    await page.getByLabel('Only groups with a silent source').check();
    await page.getByRole('button', { name: 'Show' }).click();
    assert.deepEqual(await page.locator('tbody th').allInnerTexts(), ['grid1']);
  });

  it('searches refused arrivals', async () => {
    await page.goto(`${base}/console/refused`);
    assert.equal(await page.locator('tbody tr').count(), 3);
    await screenshot(page, 'refused');
    await page.getByLabel('Search', { exact: true }).fill('spam.example');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = await page.locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, 1);
    assert.match(rows[0]!, /RECIPIENT_UNKNOWN/);
  });

  it('draws a day of arrivals and outcomes per minute', async () => {
    await seedDayOfTraffic(t, 'jimmys_pizza');
    await page.goto(`${base}/console`);
    const arrivals = await page.locator('#arrivals-chart-desc').textContent();
    assert.match(arrivals ?? '', /SMTP [\d,]+, .*S3\/SQS [\d,]+/);
    assert.ok((await page.locator('#arrivals-chart path').count()) >= 5, 'one band per source');
    await screenshot(page, 'overview');
  });

  it('shows open alert conditions and each delivery with its outcome', async () => {
    const receiver = await startWebhookReceiver();
    try {
      receiver.answer('/hook', [500]);
      const created = await apiClient(base, TEST_ADMIN_KEY).post('/api/1.0/alerts/subscriptions', { url: receiver.url('/hook') });
      assert.equal(created.status, 201, created.text);
      const { job } = await t.service.accept(t.echoArrival({ failPermanent: true, tag: 'alerting' }, { customer: 'jimmys_pizza' }));
      await t.waitForStatus(job.id, ['failed']);
      await receiver.waitFor((notification) => JSON.stringify(notification.body).includes('job_failed'), 'the job_failed notification', 30_000);
      const deadline = Date.now() + 15_000;
      let deliveries = '';
      while (!/500/.test(deliveries) && Date.now() < deadline) {
        await page.goto(`${base}/console/alerts`);
        deliveries = await page.locator('table').last().innerText();
      }
      assert.match(await page.locator('table').first().innerText(), /job_failed/);
      assert.match(deliveries, /job_failed[\s\S]*\/hook/);
      assert.match(deliveries, /500/, 'the failed attempt and its status are shown');
      await screenshot(page, 'alerts');
    } finally {
      await receiver.close();
    }
  });

  it('places a hold from the holds page, holds new arrivals, and releases them in arrival order', async () => {
    await page.goto(`${base}/console/holds`);
    assert.equal(await page.locator('nav a[aria-current="page"]').innerText(), 'Holds');
    assert.match(await page.locator('main').innerText(), /No hold is in place/);
    await page.getByLabel('Customer').fill('jimmys_pizza');
    await page.getByLabel('Reason').fill('parser fix pending');
    await page.getByRole('button', { name: 'Hold', exact: true }).click();
    await page.waitForURL(`${base}/console/holds?done=held`);
    assert.match(await page.getByRole('status').innerText(), /Hold placed/);
    assert.match(await page.locator('tbody').innerText(), /customer=jimmys_pizza\s+parser fix pending/);

    const first = (await t.service.accept(t.echoArrival({ tag: 'held-1' }, { customer: 'jimmys_pizza' }))).job;
    const second = (await t.service.accept(t.echoArrival({ tag: 'held-2' }, { customer: 'jimmys_pizza' }))).job;
    await t.waitForStatus(first.id, ['held']);
    await t.waitForStatus(second.id, ['held']);
    await page.goto(`${base}/console/holds`);
    assert.match(await page.locator('tbody td.num').first().innerText(), /^2$/, 'both arrivals are counted as held');
    await screenshot(page, 'holds');

    await page.getByRole('button', { name: 'Release' }).click();
    await page.waitForURL(`${base}/console/holds?done=released`);
    assert.match(await page.locator('main').innerText(), /No hold is in place/);
    await t.waitForStatus(first.id, ['succeeded']);
    await t.waitForStatus(second.id, ['succeeded']);
    const started = await t.service.database.db.selectFrom('jobs').select(['id', 'started_at']).where('id', 'in', [first.id, second.id]).execute();
    const startOf = (id: string) => started.find((row) => row.id === id)!.started_at!.getTime();
    assert.ok(startOf(first.id) <= startOf(second.id), 'the older arrival runs first');
  });

  it('signs out: the session is gone on the server, not only in the browser', async () => {
    const cookie = (await context.cookies()).find((entry) => entry.name === 'dp_console')!;
    await page.goto(`${base}/console`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/console/sign-in`);
    const replayed = await fetch(`${base}/console`, { headers: { Cookie: `dp_console=${cookie.value}` }, redirect: 'manual' });
    assert.equal(replayed.status, 302);
    assert.match(replayed.headers.get('location') ?? '', /^\/console\/sign-in/);
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  });
});

async function fileName(page: Page): Promise<string> {
  const href = await page.locator('a[download]').first().getAttribute('href');
  return href!.split('/').pop()!;
}
