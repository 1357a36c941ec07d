import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { IngestError } from '../../../src/core/ingest-error.js';
import { checkSenderAuthentication, senderAuthSatisfied } from '../../../src/pipeline/mail/check-sender-authentication.js';
import { parseAuthenticationResults } from '../../../src/pipeline/mail/parse-authentication-results.js';
import { peekHeaderBlock } from '../../../src/pipeline/mail/peek-header-block.js';
import { MAX_RECORDED_HEADER_BYTES, MAX_RECORDED_HEADERS, readSenderAuthentication } from '../../../src/pipeline/mail/read-sender-authentication.js';

const MX = 'mx.hview.example';

function block(...headers: string[]): Buffer {
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\nbody: not a header\r\n`);
}

describe('Authentication-Results (RFC 8601)', () => {
  describe('parseAuthenticationResults', () => {
    it('reads the authserv-id and every method=result, skipping versions, properties, reasons and comments', () => {
      assert.deepEqual(
        parseAuthenticationResults(
          ` ${MX.toUpperCase()} 1; spf=pass (sender SPF authorized) smtp.mailfrom=grid.example; dkim/1=FAIL reason="bad; sig" header.d=grid.example;` +
            ' dkim=pass (2048-bit key; unprotected) header.d=grid.example header.s=s1; dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=grid.example',
        ),
        {
          authservId: MX,
          results: [
            { method: 'spf', result: 'pass' },
            { method: 'dkim', result: 'fail' },
            { method: 'dkim', result: 'pass' },
            { method: 'dmarc', result: 'pass' },
          ],
        },
      );
    });

    it('handles nested comments, quoted pairs, a quoted authserv-id and "none"', () => {
      assert.deepEqual(parseAuthenticationResults('"mx.example"; none'), { authservId: 'mx.example', results: [] });
      assert.deepEqual(parseAuthenticationResults('mx.example; (a (nested \\) ; dmarc=pass) comment) spf=softfail'), {
        authservId: 'mx.example',
        results: [{ method: 'spf', result: 'softfail' }],
      });
      // An unclosed comment swallows the rest: nothing in it can pass.
      assert.deepEqual(parseAuthenticationResults('mx.example; spf=fail (oops; dmarc=pass'), {
        authservId: 'mx.example',
        results: [{ method: 'spf', result: 'fail' }],
      });
      assert.equal(parseAuthenticationResults(' ; spf=pass'), undefined, 'no authserv-id');
      assert.equal(parseAuthenticationResults('(only a comment); spf=pass'), undefined);
    });

    it('bounds the work on a hostile header', () => {
      const parsed = parseAuthenticationResults(`mx.example${'; spf=pass'.repeat(100_000)}`);
      assert.ok(parsed !== undefined && parsed.results.length <= 64);
    });
  });

  describe('readSenderAuthentication', () => {
    it('takes verdicts from trusted headers only, topmost first, and records every header flagged', () => {
      const auth = readSenderAuthentication({
        headerBlock: block(
          'Received: from grid by mx',
          `Authentication-Results: ${MX};`,
          '\tdkim=fail header.d=a.example; dkim=pass header.d=grid.example;',
          '\tdmarc=fail header.from=grid.example',
          `Authentication-Results: ${MX}; spf=pass smtp.mailfrom=grid.example; dmarc=pass`,
          'Authentication-Results: attacker.example; dmarc=pass; spf=pass; arc=pass',
          'Subject: x',
        ),
        trustedAuthservIds: ['MX.hview.example'],
      });
      assert.ok(auth !== undefined);
      assert.equal(auth.authservId, MX);
      assert.deepEqual(
        { spf: auth.spf, dkim: auth.dkim, dmarc: auth.dmarc, arc: auth.arc },
        { spf: 'pass', dkim: 'pass', dmarc: 'fail', arc: undefined },
        'dkim passes on one good signature; dmarc is the topmost trusted verdict; the untrusted arc is not taken',
      );
      assert.deepEqual(
        auth.headers.map((header) => [header.authservId, header.trusted, header.dmarc]),
        [
          [MX, true, 'fail'],
          [MX, true, 'pass'],
          ['attacker.example', false, 'pass'],
        ],
      );
      assert.equal(auth.headers[0]?.header, `${MX}; dkim=fail header.d=a.example; dkim=pass header.d=grid.example; dmarc=fail header.from=grid.example`);
    });

    it('trusts nothing by default, says nothing for a mail without the header, and reads no body line', () => {
      const untrusted = readSenderAuthentication({ headerBlock: block(`Authentication-Results: ${MX}; dmarc=pass`), trustedAuthservIds: [] });
      assert.deepEqual(untrusted, { authservId: null, headers: [{ authservId: MX, trusted: false, dmarc: 'pass', header: `${MX}; dmarc=pass` }] });
      assert.equal(readSenderAuthentication({ headerBlock: block('Subject: none'), trustedAuthservIds: [MX] }), undefined);
      const bodyOnly = Buffer.from(`Subject: x\r\n\r\nAuthentication-Results: ${MX}; dmarc=pass\r\n`);
      assert.equal(readSenderAuthentication({ headerBlock: bodyOnly, trustedAuthservIds: [MX] }), undefined, 'a line in the body is not a header');
    });

    it('bounds what it records', () => {
      const many = Array.from({ length: 40 }, (_, index) => `Authentication-Results: host${index}.example; spf=pass ${'x'.repeat(2000)}`);
      const auth = readSenderAuthentication({ headerBlock: block(...many), trustedAuthservIds: [] });
      assert.equal(auth?.headers.length, MAX_RECORDED_HEADERS);
      assert.ok(auth.headers.every((header) => Buffer.byteLength(header.header) <= MAX_RECORDED_HEADER_BYTES));
    });
  });

  describe('checkSenderAuthentication', () => {
    const trusted = (verdicts: Record<string, string>) => ({ authservId: MX, ...verdicts, headers: [] });

    it('passes a requirement only on a trusted pass of its method (any: SPF, DKIM or DMARC; ARC never)', () => {
      assert.equal(senderAuthSatisfied({ dmarc: 'pass' }, 'dmarc'), true);
      assert.equal(senderAuthSatisfied({ dmarc: 'fail', spf: 'pass' }, 'dmarc'), false);
      assert.equal(senderAuthSatisfied({ spf: 'pass' }, 'spf'), true);
      assert.equal(senderAuthSatisfied({ dkim: 'pass' }, 'any'), true);
      assert.equal(senderAuthSatisfied({ arc: 'pass', spf: 'softfail' }, 'any'), false);
      assert.equal(senderAuthSatisfied({}, 'dkim'), false);
    });

    it('refuses the whole message when any customer lacks its verdict, naming what was found but never the customer', () => {
      const required = new Map([['strict_co', 'dmarc' as const]]);
      assert.doesNotThrow(() => checkSenderAuthentication({ customers: ['open_co'], required, authentication: undefined }));
      assert.doesNotThrow(() => checkSenderAuthentication({ customers: ['open_co', 'strict_co'], required, authentication: trusted({ dmarc: 'pass' }) }));
      assert.throws(
        () => checkSenderAuthentication({ customers: ['open_co', 'strict_co'], required, authentication: trusted({ dmarc: 'fail' }) }),
        (error: unknown) =>
          error instanceof IngestError &&
          error.code === 'SENDER_AUTH_REQUIRED' &&
          error.expose &&
          !error.transient &&
          error.message === `a recipient accepts only mail with a DMARC pass from a trusted Authentication-Results header; found dmarc=fail from ${MX}` &&
          error.details?.customer === 'strict_co',
      );
      assert.throws(
        () => checkSenderAuthentication({ customers: ['strict_co'], required: new Map([['strict_co', 'any' as const]]), authentication: undefined }),
        /an SPF, DKIM or DMARC pass .*found no trusted Authentication-Results header$/,
      );
    });
  });

  describe('peekHeaderBlock', () => {
    it('finds the header end across chunks of any size and gives every byte back', async () => {
      const raw = Buffer.from('A: 1\r\nAuthentication-Results: mx; spf=pass\r\n\r\nbody\r\n\r\nmore');
      for (const size of [1, 2, 3, 5, 64]) {
        const chunks = Array.from({ length: Math.ceil(raw.length / size) }, (_, index) => raw.subarray(index * size, (index + 1) * size));
        const peeked = await peekHeaderBlock(Readable.from(chunks));
        assert.equal(peeked.headerBlock.toString(), 'A: 1\r\nAuthentication-Results: mx; spf=pass\r\n\r\n', `chunks of ${size}`);
        const back: Buffer[] = [];
        for await (const chunk of peeked.message) back.push(Buffer.from(chunk));
        assert.deepEqual(Buffer.concat(back), raw);
      }
    });

    it('stops at the limit for a header without end, and close() stops an unread source', async () => {
      const peeked = await peekHeaderBlock(Readable.from([Buffer.from('X: '.padEnd(100, 'y')), Buffer.from('z'.repeat(100))]), 150);
      assert.equal(peeked.headerBlock.length, 150);
      let returned = false;
      const source: AsyncIterable<Uint8Array> = {
        [Symbol.asyncIterator]: () => ({
          next: async () => ({ done: false, value: Buffer.from('A: b\n\nbody') }),
          return: async () => {
            returned = true;
            return { done: true, value: undefined };
          },
        }),
      };
      const unread = await peekHeaderBlock(source);
      await unread.close();
      assert.equal(returned, true, 'an SMTP stream left with a reader would never drain');
    });
  });
});
