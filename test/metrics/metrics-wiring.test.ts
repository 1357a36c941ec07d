import assert from 'node:assert/strict';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { sendWithNodemailer } from '../support/smtp-test-helpers.js';

describe('metrics wiring', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService();
  });
  after(async () => {
    await t?.stop();
  });

  async function metricsText(): Promise<string> {
    const response = await fetch(`${t.service.httpUrl}/metrics`, { headers: { 'X-Api-Key': TEST_ADMIN_KEY } });
    return response.text();
  }

  it('counts SMTP sessions and replies, and finished jobs with their duration', async () => {
    const port = t.service.smtpAddress?.port;
    assert.ok(port !== undefined);
    assert.equal(
      (await sendWithNodemailer({ port, from: 'grid@bobs.example', to: ['bobs_burgers@ingest.hview.example'], raw: 'Subject: hello\r\n\r\nhi\r\n' })).code,
      250,
    );
    assert.equal(
      (await sendWithNodemailer({ port, from: 'grid@bobs.example', to: ['nobody@ingest.hview.example'], raw: 'Subject: x\r\n\r\nx\r\n' })).code,
      550,
    );
    await t.settled();
    const { job } = await t.service.accept(t.echoArrival({ rows: 1, tag: 'metrics' }));
    await t.waitForStatus(job.id, ['succeeded']);
    const text = await metricsText();
    assert.match(text, /^dataprocessor_smtp_sessions_total [1-9]/m);
    assert.match(text, /^dataprocessor_smtp_replies_total\{code="250"\} 1$/m);
    assert.match(text, /^dataprocessor_smtp_replies_total\{code="550"\} 1$/m);
    assert.match(text, /^dataprocessor_spool_backlog 0$/m, 'the spooled message has its folder');
    assert.match(text, /^dataprocessor_jobs_finished_total\{category="test",type="echo",status="succeeded"\} [1-9]/m);
    assert.match(text, /^dataprocessor_job_duration_seconds_count\{category="test",type="echo",status="succeeded"\} [1-9]/m);
  });
});
