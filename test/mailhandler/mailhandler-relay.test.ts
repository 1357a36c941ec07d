import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ERROR_CODE_LIST } from '../../src/core/error-codes.js';
import { IngestError } from '../../src/core/ingest-error.js';
import { addCustomer } from '../../src/db/customers-repository.js';
import { findJob } from '../../src/db/jobs-repository.js';
import { mailhandlerOutcomeForError } from '../../src/mailhandler/mailhandler-outcome.js';
import { replyForError } from '../../src/smtp/reply-for-error.js';
import { encodeChunk, exitForReply, relayEnvelope } from '../../bin/mailhandler-relay.js';
import { parseMailhandlerArgs } from '../../src/mailhandler/parse-mailhandler-args.js';
import { CLI, freePort } from '../support/cli-service-process.js';
import { startTestService, type TestService } from '../support/start-test-service.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The highest resident set size seen while it ran (kB, from /proc). */
  readonly peakRssKb: number;
}

/** `node bin/dataprocessor.js mailhandler …` as Postfix pipe(8) runs it: the message on stdin, only the env it is given. */
function mailhandler(args: readonly string[], env: Record<string, string>, message: string | ((stdin: NodeJS.WritableStream) => Promise<void>)): Promise<Run> {
  return new Promise((resolve, reject) => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DP_') && name !== 'DATABASE_URL'));
    const child = spawn(process.execPath, [CLI, 'mailhandler', ...args], { env: { ...inherited, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakRssKb = 0;
    const sampler = setInterval(() => {
      readFile(`/proc/${child.pid}/status`, 'utf8').then(
        (status) => (peakRssKb = Math.max(peakRssKb, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0))),
        () => undefined,
      );
    }, 20);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined);
    child.once('error', reject);
    child.once('close', (code) => {
      clearInterval(sampler);
      resolve({ code, stdout, stderr, peakRssKb });
    });
    if (typeof message === 'string') child.stdin.end(message);
    else message(child.stdin).then(() => child.stdin.end(), reject);
  });
}

const queuedId = (run: Run): string => {
  const id = /^2\.0\.0 Ok: queued as ([0-9a-f-]{36})\n/.exec(run.stdout)?.[1];
  assert.ok(id !== undefined, `stdout ${JSON.stringify(run.stdout)}, stderr ${JSON.stringify(run.stderr)}`);
  return id;
};

/**
 * The relay fast path (bin/mailhandler-relay.js): `mailhandler --relay host:port` hands the piped
 * message to a running service's SMTP listener over real TCP, and exits as the direct path would.
 */
describe('mailhandler --relay (bin/mailhandler-relay.js)', function () {
  this.timeout(120_000);
  let t: TestService;
  let relay: string;
  const envelope = ['--sender', 'grid@bobs.example', '--recipient', 'bobs_burgers@ingest.hview.example'];

  before(async () => {
    t = await startTestService({ overrides: { smtp: { trustedRelays: ['127.0.0.1'], maxMessageBytes: 256 * 1024 * 1024 } } });
    await addCustomer(t.service.database.db, { slug: 'krusty_krab', name: 'krusty_krab', allowedSenders: ['@krusty.example'] });
    const smtp = t.service.smtpAddress;
    assert.ok(smtp, 'the service listens for SMTP');
    relay = `${smtp.host}:${smtp.port}`;
  });
  after(async () => t?.stop());

  it('delivers through the service: exit 0, the job committed, the envelope and the bytes (CRLF, dots) kept', async () => {
    const message = 'From: grid@bobs.example\nSubject: relayed\n\nline one\n.\n..two dots\n.leading dot\nlast line without an end';
    const run = await mailhandler(['--relay', relay, ...envelope, '--queue-id', '4Xq9Tz1abc', '--client-address', '192.0.2.7'], {}, message);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const id = queuedId(run);
    const job = await findJob(t.service.database.db, id);
    assert.equal(job?.customer, 'bobs_burgers');
    assert.equal(job?.source, 'smtp', 'it arrived through the listener');
    const sourceRef = job?.source_ref as Record<string, unknown>;
    assert.equal(sourceRef['mailFrom'], 'grid@bobs.example');
    assert.deepEqual(sourceRef['rcptTo'], ['bobs_burgers@ingest.hview.example']);
    assert.equal(sourceRef['postfixQueueId'], '4Xq9Tz1abc', 'XFORWARD IDENT');
    assert.equal(sourceRef['remoteAddress'], '192.0.2.7', 'XFORWARD ADDR: the original client');
    assert.equal(sourceRef['relayAddress'], '127.0.0.1');
    await t.settled();
    const stored = await readFile(path.join(t.dataRoot, 'inbox', job!.relative_path, 'message.eml'), 'utf8');
    assert.equal(stored, `${message.replaceAll('\n', '\r\n')}\r\n`);
  });

  it('maps refusals to the direct path exit statuses: unknown user 67, sender not allowed 77, with the reply status first', async () => {
    const unknown = await mailhandler(
      ['--relay', relay, '--sender', 'grid@bobs.example', '--recipient', 'nobody@ingest.hview.example'],
      {},
      'Subject: x\n\nx\n',
    );
    assert.equal(unknown.code, 67, unknown.stderr);
    assert.match(unknown.stderr, /^5\.1\.1 /);
    const denied = await mailhandler(
      ['--relay', relay, '--sender', 'grid@bobs.example', '--recipient', 'krusty_krab@ingest.hview.example'],
      {},
      'Subject: x\n\nx\n',
    );
    assert.equal(denied.code, 77, denied.stderr);
    assert.match(denied.stderr, /^5\.7\.1 /);
    assert.equal(denied.stdout, '');
    const allowed = await mailhandler(
      ['--relay', relay, '--sender', 'fry@krusty.example', '--recipient', 'krusty_krab@ingest.hview.example'],
      {},
      'Subject: y\n\ny\n',
    );
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  it('falls back to the direct path when the service is down: the job is still staged, and the note follows the status line', async () => {
    const down = `127.0.0.1:${await freePort()}`;
    const env = { DATABASE_URL: t.database.url, DP_DATA_ROOT: t.dataRoot, DP_LOG_DIR: path.join(t.dataRoot, 'log') };
    const run = await mailhandler(['--relay', down, ...envelope], env, 'Subject: service down\n\nstill lands\n');
    assert.equal(run.code, 0, run.stderr);
    const job = await findJob(t.service.database.db, queuedId(run));
    assert.equal(job?.source, 'mailhandler', 'the direct path took it');
    assert.match(run.stderr, /^relay not used \(127\.0\.0\.1:\d+: ECONNREFUSED\): the direct path answered\n$/);
  });

  it('falls back to the direct path when the service does not trust this host as a relay (its policy would differ)', async () => {
    const untrusting = await startTestService({ customers: ['bobs_burgers'] });
    try {
      const address = untrusting.service.smtpAddress!;
      const env = { DATABASE_URL: untrusting.database.url, DP_DATA_ROOT: untrusting.dataRoot, DP_LOG_DIR: path.join(untrusting.dataRoot, 'log') };
      const run = await mailhandler(['--relay', `${address.host}:${address.port}`, ...envelope], env, 'Subject: untrusted\n\nx\n');
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /does not trust this host \(smtp\.trustedRelays\)/);
      assert.equal((await findJob(untrusting.service.database.db, queuedId(run)))?.source, 'mailhandler');
    } finally {
      await untrusting.stop();
    }
  });

  it('streams a 96 MiB message with bounded memory', async () => {
    const line = `${'x'.repeat(1023)}\n`;
    const chunk = Buffer.from(line.repeat(1024)); // 1 MiB of LF lines
    const chunks = 96;
    const run = await mailhandler(['--relay', relay, ...envelope], {}, async (stdin) => {
      stdin.write('Subject: huge\n\n');
      for (let index = 0; index < chunks; index += 1) {
        if (!stdin.write(chunk)) await new Promise((resolve) => (stdin as unknown as Readable).once('drain', resolve));
      }
    });
    assert.equal(run.code, 0, run.stderr);
    const job = await findJob(t.service.database.db, queuedId(run));
    await t.settled();
    const stored = await readFile(path.join(t.dataRoot, 'inbox', job!.relative_path, 'message.eml'));
    assert.equal(stored.length, 'Subject: huge\r\n\r\n'.length + chunks * 1024 * 1024 + chunks * 1024, 'every LF became CRLF');
    assert.ok(run.peakRssKb > 0 && run.peakRssKb < 100 * 1024, `peak RSS ${run.peakRssKb} kB for a 96 MiB message`);
  });

  it('gives every permanent refusal of the catalogue the exit status the direct path gives it', () => {
    for (const code of ERROR_CODE_LIST) {
      for (const transient of [true, false]) {
        const error = new IngestError(code, 'refused', { transient, expose: true });
        const reply = replyForError(error);
        assert.equal(
          exitForReply(reply.responseCode, reply.message),
          mailhandlerOutcomeForError(error).exitCode,
          `${code} (${reply.responseCode} ${reply.message})`,
        );
      }
    }
  });

  it('reads the envelope as parse-mailhandler-args does, or leaves the arguments to it', () => {
    const cases: string[][] = [
      ['--sender', '', '--recipient', 'a@x'],
      ['--sender', '<>', '--recipient', 'A@x', '--recipient', 'a@x', 'b@x'],
      ['--sender=-dash@x', '--recipient=-r@x', '--queue-id', '', '--client-address', '::1'],
      ['--sender', ' s@x ', '--', '--recipient', 'c@x'],
      ['--sender', 's@x', '--relay', '127.0.0.1:25', '--recipient', 'r@x'],
      ['--sender', 's@x'],
      ['--recipient', 'r@x'],
      ['--sender', 's@x', '--sender', 't@x', '--recipient', 'r@x'],
      ['--sender', 's@x', '--bogus', 'r@x'],
      ['--sender', 's@x', '--recipient'],
      ['--sender', 's@x', '--recipient', ' '],
      ['--sender', 'x'.repeat(257), '--recipient', 'r@x'],
    ];
    for (const argv of cases) {
      let expected: unknown;
      try {
        const parsed = parseMailhandlerArgs(argv);
        expected = { sender: parsed.sender, recipients: parsed.recipients, queueId: parsed.queueId, clientAddress: parsed.clientAddress };
      } catch {
        expected = null;
      }
      assert.deepEqual(relayEnvelope(argv), expected, JSON.stringify(argv));
    }
  });

  it('dot-stuffs and ends lines with CRLF across chunk boundaries', () => {
    const state = { lineStart: true, afterCr: false };
    const out = Buffer.concat(['.a\r', '\n.', 'b\n', '\n', '.'].map((part) => encodeChunk(Buffer.from(part), state))).toString();
    assert.equal(out, '..a\r\n..b\r\n\r\n..');
  });
});
