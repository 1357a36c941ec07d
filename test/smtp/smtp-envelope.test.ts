import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { JobRow } from '../../src/db/database-schema.js';
import type { SMTPServerSession } from 'smtp-server';
import type { AcceptResult } from '../../src/pipeline/accept.js';
import { acceptedReplyText, connectedFromTrustedRelay } from '../../src/smtp/smtp-envelope.js';

function result(id: string): AcceptResult {
  return { job: { id } as JobRow, duplicate: false };
}

describe('acceptedReplyText', () => {
  it('names every job once', () => {
    const [a, b] = [randomUUID(), randomUUID()];
    assert.equal(acceptedReplyText([result(a), result(b), result(a)]), `2.0.0 Ok: queued as ${a} ${b}`);
  });

  it('stays within one reply line for a hundred customers', () => {
    const text = acceptedReplyText(Array.from({ length: 100 }, () => result(randomUUID())));
    assert.ok(`250 ${text}`.length <= 512, `${text.length}`);
    assert.match(text, / and \d+ more$/);
  });
});

describe('connectedFromTrustedRelay', () => {
  const session = (remoteAddress: string, xClientAddr?: string, xForwardAddr?: string) =>
    ({
      remoteAddress,
      xClient: new Map(xClientAddr === undefined ? [] : [['ADDR:DEFAULT', xClientAddr]]),
      xForward: new Map(xForwardAddr === undefined ? [] : [['ADDR:DEFAULT', xForwardAddr]]),
    }) as unknown as SMTPServerSession;

  it('is the TCP peer, or the relay that named another client with XCLIENT/XFORWARD', () => {
    assert.equal(connectedFromTrustedRelay(session('127.0.0.1'), ['127.0.0.1']), true);
    assert.equal(connectedFromTrustedRelay(session('203.0.113.9'), ['127.0.0.1']), false, 'a client straight from outside');
    assert.equal(connectedFromTrustedRelay(session('203.0.113.9', '127.0.0.1'), ['127.0.0.1']), true, 'XCLIENT from the trusted relay');
    assert.equal(connectedFromTrustedRelay(session('203.0.113.9', undefined, '127.0.0.1'), ['127.0.0.1']), true, 'XFORWARD from the trusted relay');
    assert.equal(connectedFromTrustedRelay(session('127.0.0.1'), []), false, 'no relay is trusted by default');
  });
});
