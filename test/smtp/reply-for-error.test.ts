import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { ErrorCode } from '../../src/core/error-codes.js';
import { IngestError, toIngestError } from '../../src/core/ingest-error.js';
import { MAX_REPLY_TEXT_BYTES, replyForError, sanitizeReplyText, smtpErrorFor } from '../../src/smtp/reply-for-error.js';

const GENERIC_TEMPORARY = '4.3.0 Temporary local problem, please try again later';
const HOSTILE = 'bad\r\n250 OK\u0000\x1B[31m <evil@x>\u202E\t日本';

interface ReplyCase {
  readonly name: string;
  readonly error: unknown;
  readonly responseCode: number;
  /** Exact message, or the enhanced status it must start with. */
  readonly message: string | RegExp;
}

/** Flags as given (false when left out), not the catalogue's; any string, since codes outside the catalogue (an old job row's) must map safely too. */
function ingest(code: string, options: { transient?: boolean; expose?: boolean }, message = `${code} happened`): IngestError {
  return new IngestError(code as ErrorCode, message, { transient: options.transient ?? false, expose: options.expose ?? false });
}

const CASES: readonly ReplyCase[] = [
  // Transient faults: always 4xx.
  { name: 'transient, not exposed', error: ingest('DATABASE_UNAVAILABLE', { transient: true }), responseCode: 451, message: GENERIC_TEMPORARY },
  {
    name: 'transient, exposed',
    error: ingest('QUEUE_BUSY', { transient: true, expose: true }, 'Queue is busy'),
    responseCode: 451,
    message: '4.3.0 Queue is busy',
  },
  {
    name: 'STORAGE_LOW',
    error: ingest('STORAGE_LOW', { transient: true }),
    responseCode: 452,
    message: '4.3.1 Insufficient system storage, please try again later',
  },
  { name: 'SYSTEM_ENOSPC', error: ingest('SYSTEM_ENOSPC', { transient: true }), responseCode: 452, message: /^4\.3\.1 / },
  { name: 'SYSTEM_EDQUOT', error: ingest('SYSTEM_EDQUOT', { transient: true }), responseCode: 452, message: /^4\.3\.1 / },
  { name: 'STORAGE_LOW even if flagged permanent', error: ingest('STORAGE_LOW', { transient: false, expose: true }), responseCode: 452, message: /^4\.3\.1 / },
  {
    name: "a wrapper caused by ENOSPC (the spool's SPOOL_WRITE_FAILED)",
    error: new IngestError('SPOOL_WRITE_FAILED', 'could not append', {
      transient: true,
      cause: Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }),
    }),
    responseCode: 452,
    message: '4.3.1 Insufficient system storage, please try again later',
  },
  {
    name: 'a wrapper caused by EIO is not a full disk',
    error: new IngestError('SPOOL_WRITE_FAILED', 'could not append', { transient: true, cause: Object.assign(new Error('i/o error'), { code: 'EIO' }) }),
    responseCode: 451,
    message: GENERIC_TEMPORARY,
  },
  { name: 'SYSTEM_EIO', error: ingest('SYSTEM_EIO', { transient: true }), responseCode: 451, message: GENERIC_TEMPORARY },
  { name: 'TOO_MANY_RECIPIENTS', error: ingest('TOO_MANY_RECIPIENTS', { transient: true }), responseCode: 452, message: '4.5.3 Too many recipients' },
  { name: 'TOO_MANY_CONNECTIONS', error: ingest('TOO_MANY_CONNECTIONS', { transient: true }), responseCode: 421, message: /^4\.7\.0 / },
  {
    name: 'TOO_MANY_RECIPIENTS flagged permanent is not a 4xx limit reply',
    error: ingest('TOO_MANY_RECIPIENTS', { transient: false }),
    responseCode: 451,
    message: GENERIC_TEMPORARY,
  },
  {
    name: 'transient with a policy code stays transient',
    error: ingest('RECIPIENT_UNKNOWN', { transient: true }),
    responseCode: 451,
    message: GENERIC_TEMPORARY,
  },
  // Policy codes: their 5xx, exposed or not.
  {
    name: 'MESSAGE_TOO_LARGE',
    error: ingest('MESSAGE_TOO_LARGE', { expose: true }, 'Message exceeds 25 MiB'),
    responseCode: 552,
    message: '5.3.4 Message exceeds 25 MiB',
  },
  {
    name: 'MESSAGE_TOO_LARGE, not exposed',
    error: ingest('MESSAGE_TOO_LARGE', {}),
    responseCode: 552,
    message: '5.3.4 Message size exceeds fixed maximum message size',
  },
  {
    name: "ARRIVAL_TOO_LARGE (the staging writer's cap)",
    error: ingest('ARRIVAL_TOO_LARGE', { expose: true }, 'the file is larger than the limit of 10 bytes'),
    responseCode: 552,
    message: '5.3.4 the file is larger than the limit of 10 bytes',
  },
  {
    name: 'RECIPIENT_UNKNOWN',
    error: ingest('RECIPIENT_UNKNOWN', { expose: true }, 'recipient <x@ingest.example> is not a known ingest address'),
    responseCode: 550,
    message: '5.1.1 recipient <x@ingest.example> is not a known ingest address',
  },
  {
    name: 'RECIPIENT_UNKNOWN, not exposed',
    error: ingest('RECIPIENT_UNKNOWN', {}),
    responseCode: 550,
    message: '5.1.1 Recipient address rejected: user unknown',
  },
  { name: 'RELAY_DENIED', error: ingest('RELAY_DENIED', {}), responseCode: 550, message: '5.7.1 Relay access denied' },
  {
    name: 'SENDER_NOT_ALLOWED',
    error: ingest('SENDER_NOT_ALLOWED', { expose: true }, 'sender not allowed'),
    responseCode: 550,
    message: '5.7.1 sender not allowed',
  },
  {
    name: 'MESSAGE_MALFORMED',
    error: ingest('MESSAGE_MALFORMED', { expose: true }, 'too many MIME parts'),
    responseCode: 554,
    message: '5.6.0 too many MIME parts',
  },
  { name: 'MESSAGE_MALFORMED, not exposed', error: ingest('MESSAGE_MALFORMED', {}), responseCode: 554, message: /^5\.6\.0 / },
  // Other permanent errors: 5xx only when exposed.
  {
    name: 'other permanent, exposed',
    error: ingest('POLICY_REFUSED', { expose: true }, 'refused by policy'),
    responseCode: 554,
    message: '5.0.0 refused by policy',
  },
  {
    name: 'disabled customer',
    error: ingest('CUSTOMER_DISABLED', { expose: true }, 'recipient <a@b> is disabled'),
    responseCode: 550,
    message: '5.2.1 recipient <a@b> is disabled',
  },
  {
    name: 'other permanent, not exposed',
    error: ingest('DATABASE_ERROR', {}, 'relation "jobs" does not exist'),
    responseCode: 451,
    message: GENERIC_TEMPORARY,
  },
  // Anything thrown that is not an IngestError: never a 5xx, never its message.
  { name: 'plain Error', error: new Error('secret internal detail'), responseCode: 451, message: GENERIC_TEMPORARY },
  { name: 'a thrown string', error: 'oops', responseCode: 451, message: GENERIC_TEMPORARY },
  { name: 'undefined', error: undefined, responseCode: 451, message: GENERIC_TEMPORARY },
  {
    name: 'Node ENOSPC',
    error: Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }),
    responseCode: 452,
    message: /^4\.3\.1 Insufficient/,
  },
  { name: 'Node EIO', error: Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }), responseCode: 451, message: GENERIC_TEMPORARY },
  {
    name: 'PostgreSQL connection failure',
    error: Object.assign(new Error('connection refused'), { code: '08006' }),
    responseCode: 451,
    message: GENERIC_TEMPORARY,
  },
  {
    name: 'PostgreSQL permanent error',
    error: Object.assign(new Error('null value in column'), { code: '23502' }),
    responseCode: 451,
    message: GENERIC_TEMPORARY,
  },
  // Hostile exposed text is sanitised.
  {
    name: 'hostile exposed text',
    error: ingest('RECIPIENT_UNKNOWN', { expose: true }, HOSTILE),
    responseCode: 550,
    message: '5.1.1 bad 250 OK [31m <evil@x>? ??',
  },
  {
    name: 'exposed text that sanitises to nothing',
    error: ingest('POLICY_REFUSED', { expose: true }, '\r\n\u0000 '),
    responseCode: 554,
    message: '5.0.0 Message rejected',
  },
  { name: 'huge exposed text', error: ingest('MESSAGE_MALFORMED', { expose: true }, 'x'.repeat(100_000)), responseCode: 554, message: /^5\.6\.0 x+\.\.\.$/ },
];

describe('replyForError', () => {
  for (const replyCase of CASES) {
    it(`${replyCase.name} → ${replyCase.responseCode}`, () => {
      const reply = replyForError(replyCase.error);
      assert.equal(reply.responseCode, replyCase.responseCode);
      if (typeof replyCase.message === 'string') assert.equal(reply.message, replyCase.message);
      else assert.match(reply.message, replyCase.message);
    });
  }

  it('every reply is one safe line of at most 512 bytes, and 5xx only for deliberate policy', () => {
    for (const replyCase of CASES) {
      const reply = replyForError(replyCase.error);
      const line = `${reply.responseCode} ${reply.message}`;
      assert.doesNotMatch(line, /[\r\n\u0000]/, replyCase.name);
      assert.doesNotMatch(line, /[^\u0020-\u007E]/, `${replyCase.name}: printable ASCII only`);
      assert.ok(Buffer.byteLength(line, 'utf8') <= 512, `${replyCase.name}: ${Buffer.byteLength(line)} bytes`);
      assert.match(reply.message, new RegExp(`^${String(reply.responseCode)[0]}\\.\\d{1,3}\\.\\d{1,3} \\S`), replyCase.name);
      const ingestError = toIngestError(replyCase.error);
      if (reply.responseCode >= 500) assert.equal(ingestError.transient, false, `${replyCase.name}: a transient fault must not bounce`);
    }
  });

  it('never shows a non-exposed message', () => {
    const reply = replyForError(new IngestError('DATABASE_ERROR', 'password=hunter2 rejected', { transient: false }));
    assert.doesNotMatch(reply.message, /hunter2/);
  });

  it('fuzzed codes and texts never break the invariants', () => {
    const codes = ['MESSAGE_TOO_LARGE', 'RECIPIENT_UNKNOWN', 'RELAY_DENIED', 'SENDER_NOT_ALLOWED', 'MESSAGE_MALFORMED', 'STORAGE_LOW', 'WHATEVER', ''];
    let seed = 7;
    const nextByte = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % 256;
    };
    for (let round = 0; round < 500; round += 1) {
      const text = String.fromCharCode(...Array.from({ length: nextByte() * 3 }, nextByte));
      const error = new IngestError((codes[round % codes.length] ?? '') as ErrorCode, text, { transient: round % 3 === 0, expose: round % 2 === 0 });
      const reply = replyForError(error);
      const line = `${reply.responseCode} ${reply.message}`;
      assert.doesNotMatch(line, /[\r\n\u0000]/);
      assert.ok(line.length <= 512);
      if (error.transient) assert.ok(reply.responseCode < 500);
    }
  });
});

describe('smtpErrorFor', () => {
  it('carries the reply as responseCode and message, so smtp-server never falls back to 450', () => {
    const error = smtpErrorFor(new IngestError('RELAY_DENIED', 'relay access denied', { expose: true }));
    assert.ok(error instanceof Error);
    assert.equal(error.responseCode, 550);
    assert.equal(error.message, '5.7.1 relay access denied');
    assert.equal(smtpErrorFor(new Error('boom')).responseCode, 451);
  });
});

describe('sanitizeReplyText', () => {
  it('keeps plain text as it is', () => {
    assert.equal(sanitizeReplyText('Message exceeds 25 MiB'), 'Message exceeds 25 MiB');
  });

  it('turns CR, LF, NUL and other controls into single spaces and trims', () => {
    assert.equal(sanitizeReplyText('\r\na\r\n\r\nb\u0000c\td\u007F '), 'a b c d');
  });

  it('replaces non-ASCII characters (including astral ones) with one ? each', () => {
    assert.equal(sanitizeReplyText('café 📦 \u202E'), 'caf? ? ?');
  });

  it(`cuts at ${MAX_REPLY_TEXT_BYTES} bytes with a visible mark`, () => {
    const cut = sanitizeReplyText('word '.repeat(200));
    assert.ok(cut.length <= MAX_REPLY_TEXT_BYTES);
    assert.ok(cut.endsWith('...'));
    assert.equal(sanitizeReplyText('a'.repeat(MAX_REPLY_TEXT_BYTES)), 'a'.repeat(MAX_REPLY_TEXT_BYTES));
    assert.equal(sanitizeReplyText('a'.repeat(MAX_REPLY_TEXT_BYTES + 1)).length, MAX_REPLY_TEXT_BYTES);
  });
});
