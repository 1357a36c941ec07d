import assert from 'node:assert/strict';
import { createMetrics } from '../../src/metrics/metrics.js';
import { queueNameOf } from '../../src/s3events/sqs-consumer.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { sendWithNodemailer } from '../support/smtp-test-helpers.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';

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

  it('shows open SMTP connections in dataprocessor_smtp_sessions_active while they last', async () => {
    const port = t.service.smtpAddress!.port;
    const first = await RawSmtpClient.connect(port);
    const second = await RawSmtpClient.connect(port);
    try {
      assert.match(await metricsText(), /^dataprocessor_smtp_sessions_active 2$/m);
    } finally {
      await first.client.quit();
      await second.client.quit();
    }
    const deadline = Date.now() + 5000;
    let text = await metricsText();
    while (!/^dataprocessor_smtp_sessions_active 0$/m.test(text) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      text = await metricsText();
    }
    assert.match(text, /^dataprocessor_smtp_sessions_active 0$/m);
  });

  it('reads the SQS totals at scrape time (dataprocessor_sqs_*_total), with the queue name from its URL', async () => {
    const totals = { received: 7, deleted: 5, kept: 2, receiveErrors: 3 };
    const metrics = createMetrics({ sqs: () => ({ queue: queueNameOf('https://sqs.eu-west-1.amazonaws.com/123456789012/uploads'), ...totals }) });
    const text = (await metrics.render()).body;
    assert.match(text, /^dataprocessor_sqs_messages_received_total\{queue="uploads"\} 7$/m);
    assert.match(text, /^dataprocessor_sqs_messages_deleted_total\{queue="uploads"\} 5$/m);
    assert.match(text, /^dataprocessor_sqs_messages_kept_total\{queue="uploads"\} 2$/m);
    assert.match(text, /^dataprocessor_sqs_receive_errors_total\{queue="uploads"\} 3$/m);
    totals.receiveErrors = 4;
    assert.match((await metrics.render()).body, /^dataprocessor_sqs_receive_errors_total\{queue="uploads"\} 4$/m);
    assert.doesNotMatch((await createMetrics().render()).body, /^dataprocessor_sqs_messages_received_total\{/m, 'no queue, no samples');
  });
});
