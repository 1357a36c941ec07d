import assert from 'node:assert/strict';
import { MAX_LISTED_PARSE_ISSUES, MAX_RAW_CHARS } from '../../../src/modules/parse-issue-log.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';

/** GET /jobs/:id `parseIssues`: the issues a module's parse returned (ParseResult.issues), stored with the job. */
describe('job parse issues in the API detail', function () {
  this.timeout(60_000);
  let t: TestService;
  let api: ApiClient;
  before(async () => {
    t = await startTestService();
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
  });
  after(async () => {
    await t?.stop();
  });

  it('lists the first issues with file, line, what and raw, and counts them all', async () => {
    const { job } = await t.service.accept(t.echoArrival({ rows: 1, parseIssues: MAX_LISTED_PARSE_ISSUES + 50, tag: 'many' }));
    await t.waitForStatus(job.id, ['succeeded']);
    const { status, body } = await api.get(`/api/1.0/jobs/${job.id}`);
    assert.equal(status, 200);
    assert.equal(body.parseIssues.count, MAX_LISTED_PARSE_ISSUES + 50, 'every issue is counted');
    assert.equal(body.parseIssues.items.length, MAX_LISTED_PARSE_ISSUES, 'only the first ones are listed');
    assert.deepEqual(body.parseIssues.items[1], { file: 'instruction.json', line: 2, what: 'planned issue 2', raw: '2' });
    const first = body.parseIssues.items[0];
    assert.equal(first.raw.length, MAX_RAW_CHARS, 'a long raw value is cut');
    assert.ok(first.raw.startsWith('rawxxx') && first.raw.endsWith('…'), 'NUL removed (jsonb refuses it), cut marked');
  });

  it('stores a raw value cut next to an emoji, or holding half of one, instead of failing the job (jsonb refuses a lone surrogate)', async () => {
    const emojiAtCut = `${'y'.repeat(MAX_RAW_CHARS - 2)}\u{1F600}tail`;
    const cut = (await t.service.accept(t.echoArrival({ rows: 1, parseIssues: 1, issueRaw: emojiAtCut, tag: 'emoji-cut' }))).job;
    const lone = (await t.service.accept(t.echoArrival({ rows: 1, parseIssues: 1, issueRaw: 'half \uD83D of a pair', tag: 'lone' }))).job;
    assert.equal((await t.waitForStatus(cut.id, ['succeeded', 'failed'])).status, 'succeeded');
    assert.equal((await t.waitForStatus(lone.id, ['succeeded', 'failed'])).status, 'succeeded');
    assert.equal(
      (await api.get(`/api/1.0/jobs/${cut.id}`)).body.parseIssues.items[0].raw,
      `${'y'.repeat(MAX_RAW_CHARS - 2)}…`,
      'cut before the pair, never inside it',
    );
    assert.equal((await api.get(`/api/1.0/jobs/${lone.id}`)).body.parseIssues.items[0].raw, 'half \uFFFD of a pair');
  });

  it('shows zero issues for a clean job, and keeps the issues of a job that failed', async () => {
    const clean = (await t.service.accept(t.echoArrival({ rows: 1, tag: 'clean' }))).job;
    await t.waitForStatus(clean.id, ['succeeded']);
    assert.deepEqual((await api.get(`/api/1.0/jobs/${clean.id}`)).body.parseIssues, { count: 0, items: [] });

    const failed = (await t.service.accept(t.echoArrival({ parseIssues: 2, failPermanent: true, failAt: 'upsert', tag: 'failed' }))).job;
    await t.waitForStatus(failed.id, ['failed']);
    const { body } = await api.get(`/api/1.0/jobs/${failed.id}`);
    assert.equal(body.error.code, 'ECHO_BAD_INPUT');
    assert.equal(body.parseIssues.count, 2, 'the issues met before the failure often explain it');
  });

  it('shows zero issues for a job that has not run yet', async () => {
    const { job } = await t.service.accept(t.echoArrival({ sleepMs: 3_000, tag: 'queued' }));
    const { body } = await api.get(`/api/1.0/jobs/${job.id}`);
    assert.deepEqual(body.parseIssues, { count: 0, items: [] });
  });
});
