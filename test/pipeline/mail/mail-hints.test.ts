import assert from 'node:assert/strict';
import { MailParser, type HeaderLines, type Headers } from 'mailparser';
import { MAX_HINT_CHARS, mailHints } from '../../../src/pipeline/mail/mail-hints.js';

async function hintsOf(raw: string): Promise<Record<string, string>> {
  const parser = new MailParser();
  const headers = new Promise<{ headers: Headers; headerLines: HeaderLines }>((resolve) => {
    parser.once('headers', (parsed) => resolve({ headers: parsed, headerLines: parser.headerLines || [] }));
  });
  parser.on('data', (item: { type: string; release?: () => void }) => item.release?.());
  parser.end(raw);
  return mailHints(await headers);
}

describe('mailHints', () => {
  it('reads subject (decoded, unfolded), from, to, Message-ID and an ISO date', async () => {
    const hints = await hintsOf(
      [
        'From: "HYDRAstor icecream_machine" <hydrastor@icecream-machine.example>',
        'To: bobs_burgers@ingest.hview.example, other@ingest.hview.example',
        'Subject: =?utf-8?Q?RE=3A_=5BHYDRAstor=5D_System?=',
        '  Report: icecream_machine',
        'Date: Fri, 13 Jan 2023 12:00:05 +0900',
        'Message-ID: <abc@example>',
        '',
        'body',
        '',
      ].join('\r\n'),
    );
    assert.deepEqual(hints, {
      subject: 'RE: [HYDRAstor] System Report: icecream_machine',
      from: '"HYDRAstor icecream_machine" <hydrastor@icecream-machine.example>',
      to: 'bobs_burgers@ingest.hview.example, other@ingest.hview.example',
      messageId: '<abc@example>',
      date: '2023-01-13T03:00:05.000Z',
    });
  });

  it('keeps an encoded subject on one line: NUL and CR LF inside it cannot forge a header', async () => {
    const encoded = Buffer.from('a\u0000b\r\nBcc: x@y').toString('base64');
    const hints = await hintsOf(`Subject: =?utf-8?B?${encoded}?=\r\n\r\nx\r\n`);
    assert.equal(hints.subject, 'a b Bcc: x@y');
  });

  it('leaves out what is missing, and a Date header that does not parse (mailparser would say "now")', async () => {
    assert.deepEqual(await hintsOf('Date: sometime soon\r\nX-Other: 1\r\n\r\nx\r\n'), {});
  });

  it(`bounds every value to ${MAX_HINT_CHARS} characters`, async () => {
    const hints = await hintsOf(`Subject: ${'s'.repeat(5000)}\r\n\r\nx\r\n`);
    assert.equal(hints.subject?.length, MAX_HINT_CHARS);
  });
});
