import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { JobRow } from '../../src/db/database-schema.js';
import type { AcceptResult } from '../../src/pipeline/accept.js';
import { acceptedReplyText } from '../../src/smtp/smtp-envelope.js';

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
