import assert from 'node:assert/strict';
import type { JobRow } from '../../src/db/database-schema.js';
import { IngestError } from '../../src/core/ingest-error.js';
import { MAILHANDLER_EXIT, mailhandlerOutcomeForError, mailhandlerOutcomeForResults } from '../../src/mailhandler/mailhandler-outcome.js';

/** Postfix pipe(8): 75 defers; 64–78 otherwise bounce; an RFC 3463 status first on the output overrides the exit. */
const SYSEXITS_MIN = 64;
const SYSEXITS_MAX = 78;

describe('mailhandlerOutcomeForError', () => {
  const cases: ReadonlyArray<readonly [string, unknown, number, RegExp]> = [
    [
      'unknown recipient',
      new IngestError('RECIPIENT_UNKNOWN', 'recipient <x@y> is not a known ingest address', { expose: true }),
      MAILHANDLER_EXIT.noUser,
      /^5\.1\.1 recipient <x@y> is not a known ingest address \(RECIPIENT_UNKNOWN\)$/,
    ],
    [
      'relay denied',
      new IngestError('RELAY_DENIED', 'relay access denied', { expose: true }),
      MAILHANDLER_EXIT.noPermission,
      /^5\.7\.1 relay access denied \(RELAY_DENIED\)$/,
    ],
    ['sender not allowed', new IngestError('SENDER_NOT_ALLOWED', 'sender <a@b> is not allowed', { expose: true }), MAILHANDLER_EXIT.noPermission, /^5\.7\.1 /],
    [
      'too large (staging cap)',
      new IngestError('ARRIVAL_TOO_LARGE', 'the file is larger than the limit of 10 bytes', { expose: true }),
      MAILHANDLER_EXIT.dataError,
      /^5\.3\.4 the file is larger/,
    ],
    ['too large (transport cap)', new IngestError('MESSAGE_TOO_LARGE', 'message exceeds 10 bytes', { expose: true }), MAILHANDLER_EXIT.dataError, /^5\.3\.4 /],
    ['malformed', new IngestError('MESSAGE_MALFORMED', 'bad', { expose: true }), MAILHANDLER_EXIT.dataError, /^5\.6\.0 /],
    [
      'other exposed permanent',
      new IngestError('CUSTOMER_UNKNOWN', 'no customer "x"', { expose: true }),
      MAILHANDLER_EXIT.unavailable,
      /^5\.0\.0 no customer "x" \(CUSTOMER_UNKNOWN\)$/,
    ],
    [
      'database down',
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }),
      MAILHANDLER_EXIT.tempFail,
      /^4\.3\.0 Temporary local problem, please try again later \(SYSTEM_ECONNREFUSED\)$/,
    ],
    ['disk full', Object.assign(new Error('no space'), { code: 'ENOSPC' }), MAILHANDLER_EXIT.tempFail, /^4\.3\.1 /],
    ['low on space', new IngestError('STORAGE_LOW', 'only 5 bytes free', { transient: true }), MAILHANDLER_EXIT.tempFail, /^4\.3\.1 .*\(STORAGE_LOW\)$/],
    ['a bug', new TypeError('x is undefined'), MAILHANDLER_EXIT.tempFail, /^4\.3\.0 Temporary local problem, please try again later \(INTERNAL\)$/],
    [
      'permanent but not exposed',
      new IngestError('DATABASE_ERROR', 'relation "jobs" does not exist'),
      MAILHANDLER_EXIT.tempFail,
      /^4\.3\.0 Temporary local problem/,
    ],
    [
      'master.cf usage',
      new IngestError('MAILHANDLER_USAGE', '--sender is required', { transient: true, expose: true }),
      MAILHANDLER_EXIT.tempFail,
      /^4\.3\.5 --sender is required \(MAILHANDLER_USAGE\)$/,
    ],
    [
      'configuration',
      new IngestError('CONFIG_INVALID', 'invalid configuration:\n  - http.port: bad', { transient: true, expose: true }),
      MAILHANDLER_EXIT.tempFail,
      /^4\.3\.5 invalid configuration: - http\.port: bad \(CONFIG_INVALID\)$/,
    ],
    [
      'schema behind',
      new IngestError('DATABASE_SCHEMA_OUTDATED', 'the database lacks migrations 0005-x', { transient: true, expose: true }),
      MAILHANDLER_EXIT.tempFail,
      /^4\.3\.5 /,
    ],
  ];
  for (const [label, error, exitCode, line] of cases) {
    it(`${label} → ${exitCode}`, () => {
      const outcome = mailhandlerOutcomeForError(error);
      assert.equal(outcome.exitCode, exitCode);
      assert.match(outcome.line, line);
    });
  }

  it('keeps exit status and status code in agreement (the code wins in Postfix), on one line, within sysexits', () => {
    for (const [, error] of cases) {
      const { exitCode, line } = mailhandlerOutcomeForError(error);
      assert.ok(exitCode >= SYSEXITS_MIN && exitCode <= SYSEXITS_MAX, `${exitCode} is a sysexits code`);
      assert.equal(line.startsWith('4.'), exitCode === MAILHANDLER_EXIT.tempFail, line);
      assert.ok(!/[\r\n]/.test(line));
    }
  });

  it('never shows a message that is not marked safe', () => {
    const { line } = mailhandlerOutcomeForError(new Error('password authentication failed for user "hview" at db.internal'));
    assert.doesNotMatch(line, /password|db\.internal/);
  });
});

describe('mailhandlerOutcomeForResults', () => {
  it('exits 0 naming every job once', () => {
    const job = (id: string) => ({ job: { id } as JobRow, duplicate: false });
    assert.deepEqual(mailhandlerOutcomeForResults([job('a'), job('b'), job('a')]), { exitCode: 0, line: '2.0.0 Ok: queued as a b' });
  });
});
