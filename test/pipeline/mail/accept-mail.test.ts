import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { JobRow } from '../../../src/db/database-schema.js';
import type { AcceptResult, Arrival } from '../../../src/pipeline/accept.js';
import { IngestError } from '../../../src/core/ingest-error.js';
import { acceptMail } from '../../../src/pipeline/mail/accept-mail.js';
import { IncomingFolder } from '../../../src/pipeline/staging/stage.js';
import { makeDataRoot } from '../../support/test-config.js';

const RAW =
  'Subject: for everyone\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/gzip\r\nContent-Disposition: attachment; filename="r.tar.gz"\r\n\r\nGZ\r\n--b--\r\n';

describe('acceptMail', () => {
  let dataRoot: string;
  before(async () => {
    dataRoot = await makeDataRoot();
  });
  after(async () => {
    await rm(dataRoot, { recursive: true, force: true });
  });

  /** A stand-in for acceptArrival: stages into a real folder and keeps what it saw. */
  function fakeAccept(seen: Array<{ arrival: Arrival; files: string[]; message: Buffer; hints: Record<string, string> }>, failFor?: string) {
    return async (arrival: Arrival): Promise<AcceptResult> => {
      if (arrival.customer === failFor) throw new IngestError('DATABASE_UNAVAILABLE', 'down', { transient: true });
      const folder = await IncomingFolder.create(dataRoot);
      try {
        const learnt = (await arrival.writeFiles(folder)) ?? {};
        seen.push({
          arrival,
          files: folder.files.map((file) => `${file.name}:${file.sha256}:${file.originalName ?? ''}`),
          message: await readFile(path.join(folder.dir, 'message.eml')),
          hints: { ...arrival.hints, ...learnt },
        });
      } finally {
        await folder.discard();
      }
      return { job: { id: randomUUID(), customer: arrival.customer } as JobRow, duplicate: false };
    };
  }

  it('receives and splits once, copies the same files and hints to every further customer, and answers in customer order', async () => {
    const seen: Parameters<typeof fakeAccept>[0] = [];
    const receivedAt = new Date('2023-01-13T03:00:00Z');
    const results = await acceptMail({
      accept: fakeAccept(seen),
      customers: ['a', 'b', 'c'],
      message: Readable.from([Buffer.from(RAW)]),
      maxBytes: 1024 * 1024,
      source: 'smtp',
      receivedAt,
      sourceRefFor: (customer) => ({ rcptTo: [`${customer}@x`] }),
    });
    assert.deepEqual(
      results.map((result) => result.job.customer),
      ['a', 'b', 'c'],
    );
    assert.equal(seen.length, 3);
    for (const entry of seen) {
      assert.equal(entry.message.toString(), RAW);
      assert.deepEqual(entry.files, seen[0]?.files);
      assert.equal(entry.hints.subject, 'for everyone');
      assert.equal(entry.arrival.receivedAt, receivedAt);
      assert.deepEqual(entry.arrival.sourceRef, { rcptTo: [`${entry.arrival.customer}@x`] });
      assert.equal(entry.arrival.source, 'smtp');
    }
    assert.equal(seen[0]?.files.length, 3);
  });

  it("rejects when any customer's acceptance fails, leaving no staged folder behind", async () => {
    const seen: Parameters<typeof fakeAccept>[0] = [];
    await assert.rejects(
      acceptMail({
        accept: fakeAccept(seen, 'b'),
        customers: ['a', 'b'],
        message: Readable.from([Buffer.from(RAW)]),
        maxBytes: 1024 * 1024,
        source: 'smtp',
        receivedAt: new Date(),
        sourceRefFor: () => ({}),
      }),
      (error: unknown) => error instanceof IngestError && error.transient,
    );
    assert.deepEqual(await readdir(path.join(dataRoot, 'inbox', '.incoming')), []);
  });

  it('refuses a mail with no customer', async () => {
    await assert.rejects(
      acceptMail({
        accept: fakeAccept([]),
        customers: [],
        message: Readable.from([]),
        maxBytes: 1,
        source: 'smtp',
        receivedAt: new Date(),
        sourceRefFor: () => ({}),
      }),
      (error: unknown) => error instanceof IngestError && error.code === 'RECIPIENT_MISSING',
    );
  });

  it('records the Authentication-Results verdicts on every job, and refuses before any job when a customer lacks its required pass', async () => {
    const raw = (dmarc: string) => `Authentication-Results: mx.example; spf=pass; dmarc=${dmarc}\r\n${RAW}`;
    const args = (dmarc: string, seen: Parameters<typeof fakeAccept>[0]) => ({
      accept: fakeAccept(seen),
      customers: ['open', 'strict'],
      message: Readable.from([Buffer.from(raw(dmarc))]),
      maxBytes: 1024 * 1024,
      source: 'smtp' as const,
      receivedAt: new Date(),
      sourceRefFor: (customer: string) => ({ rcptTo: [`${customer}@x`] }),
      trustedAuthservIds: ['MX.example'],
      requiredSenderAuth: new Map([['strict', 'dmarc' as const]]),
    });
    const refused: Parameters<typeof fakeAccept>[0] = [];
    await assert.rejects(acceptMail(args('fail', refused)), (error: unknown) => error instanceof IngestError && error.code === 'SENDER_AUTH_REQUIRED');
    assert.deepEqual(refused, [], 'not even the customer without a requirement got a job');

    const seen: Parameters<typeof fakeAccept>[0] = [];
    await acceptMail(args('pass', seen));
    assert.deepEqual(
      seen.map((entry) => entry.arrival.sourceRef).sort((a, b) => String(a?.rcptTo).localeCompare(String(b?.rcptTo))),
      ['open', 'strict'].map((customer) => ({
        rcptTo: [`${customer}@x`],
        authentication: {
          authservId: 'mx.example',
          spf: 'pass',
          dmarc: 'pass',
          headers: [{ authservId: 'mx.example', trusted: true, spf: 'pass', dmarc: 'pass', header: 'mx.example; spf=pass; dmarc=pass' }],
        },
      })),
    );
    assert.equal(seen[0]?.message.toString(), raw('pass'), 'the peeked header is stored with the rest, byte for byte');
  });
});
