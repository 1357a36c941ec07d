import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ERROR_CODE_LIST, ERROR_CODES, type ErrorCode } from '../../src/core/error-codes.js';
import { IngestError } from '../../src/core/ingest-error.js';
import { errorResponse } from '../../src/http/http-error.js';
import { mailhandlerOutcomeForError } from '../../src/mailhandler/mailhandler-outcome.js';
import { replyForError } from '../../src/smtp/reply-for-error.js';

const DOC = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));

/** What each transport answers for an error of this code with the catalogue's defaults. */
function answersFor(code: ErrorCode): { readonly http: string; readonly smtp: string; readonly mailhandler: string } {
  const error = new IngestError(code, `message of ${code}`);
  const http = errorResponse(error);
  const reply = replyForError(error);
  const outcome = mailhandlerOutcomeForError(error);
  return {
    http: `${http.status}${http.body.error.code === code ? '' : ` as ${http.body.error.code}`}`,
    smtp: `${reply.responseCode} ${reply.message.split(' ')[0]}`,
    mailhandler: `${outcome.exitCode} ${outcome.line.split(' ')[0]}`,
  };
}

/**
 * docs/errors.md, rebuilt from the catalogue and the three live mappings: it is the table an
 * operator reads and the snapshot that pins every code's HTTP status, SMTP reply and exit code.
 * `UPDATE_ERROR_DOC=1 npx mocha test/core/error-codes.test.ts` rewrites it after a deliberate change.
 */
function renderErrorDoc(): string {
  const rows = ERROR_CODE_LIST.map((code) => {
    const spec = ERROR_CODES[code];
    const answers = answersFor(code);
    return `| \`${code}\` | ${spec.transient ? 'yes' : 'no'} | ${spec.expose ? 'yes' : 'no'} | ${answers.http} | ${answers.smtp} | ${answers.mailhandler} | ${spec.meaning} |`;
  });
  return [
    '# Error codes',
    '',
    '<!-- Generated from src/core/error-codes.ts by test/core/error-codes.test.ts; do not edit by hand. -->',
    '',
    'Every failure the service reports carries one of these codes: in an HTTP error body, at the end',
    "of an SMTP reply's log line, in the mailhandler's output line, and in a job's `error_code`.",
    'The catalogue is `src/core/error-codes.ts`; each transport derives its answer from it.',
    '',
    '- **Transient**: retrying the same input later may succeed. SMTP answers 4xx, the mailhandler',
    '  exits 75 (Postfix defers), the worker retries with backoff, SQS keeps the message.',
    '- **Exposed**: the message is safe to show to a client. Otherwise clients get a generic text,',
    '  and HTTP shows a generic code (`as INTERNAL` / `as UNAVAILABLE` below); the log has the detail.',
    '- **HTTP**, **SMTP**, **Mailhandler** (exit status and RFC 3463 status): the answer for an error',
    '  of that code with the defaults shown. A call site may flag a code otherwise (see',
    '  `src/core/ingest-error.ts`); the transports then follow the flags.',
    '',
    '| Code | Transient | Exposed | HTTP | SMTP | Mailhandler | Meaning |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

describe('error-code catalogue', () => {
  it('docs/errors.md lists every code with its current HTTP status, SMTP reply and exit code', async () => {
    const expected = renderErrorDoc();
    if (process.env.UPDATE_ERROR_DOC === '1') await writeFile(DOC, expected);
    assert.equal(
      await readFile(DOC, 'utf8'),
      expected,
      'docs/errors.md is stale: run UPDATE_ERROR_DOC=1 npx mocha test/core/error-codes.test.ts and review the diff',
    );
  });

  it('takes its transient and expose defaults from the catalogue', () => {
    for (const code of ERROR_CODE_LIST) {
      const error = new IngestError(code, 'x');
      assert.equal(error.transient, ERROR_CODES[code].transient, code);
      assert.equal(error.expose, ERROR_CODES[code].expose, code);
    }
    assert.equal(new IngestError('INTERNAL', 'x', { transient: true }).transient, true, 'a call site may still override');
  });

  it('does not compile a misspelt code', () => {
    // @ts-expect-error 'RECIPIENT_UNKOWN' is not in the catalogue (tsc --noEmit fails if this line compiles).
    const misspelt = new IngestError('RECIPIENT_UNKOWN', 'x');
    assert.equal(misspelt.code, 'RECIPIENT_UNKOWN');
  });
});
