import assert from 'node:assert/strict';
import { IngestError } from '../../src/core/ingest-error.js';
import type { RecipientCustomer } from '../../src/routing/route-recipient.js';
import { checkRecipient } from '../../src/smtp/check-recipient.js';
import { replyForError } from '../../src/smtp/reply-for-error.js';

const CUSTOMERS: readonly RecipientCustomer[] = [
  { slug: 'bobs_burgers', ingestAddresses: [], allowedSenders: [] },
  { slug: 'locked_co', ingestAddresses: ['reports@locked.example'], allowedSenders: ['@hydrastor.example'] },
  { slug: 'gone_co', ingestAddresses: ['reports@gone.example'], allowedSenders: [], disabled: true },
];
const base = { customers: CUSTOMERS, ingestDomains: ['ingest.hview.example'] };

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof IngestError);
    assert.equal(error.transient, false);
    return error.code;
  }
  return 'accepted';
}

describe('checkRecipient', () => {
  it('routes to the customer and applies its sender allow-list', () => {
    assert.equal(checkRecipient({ ...base, address: 'bobs_burgers@ingest.hview.example', sender: 'anyone@x.example' }), 'bobs_burgers');
    assert.equal(checkRecipient({ ...base, address: 'reports@locked.example', sender: 'grid@hydrastor.example' }), 'locked_co');
    assert.equal(
      code(() => checkRecipient({ ...base, address: 'reports@locked.example', sender: 'anyone@x.example' })),
      'SENDER_NOT_ALLOWED',
    );
    assert.equal(
      code(() => checkRecipient({ ...base, address: 'reports@locked.example', sender: null })),
      'SENDER_NOT_ALLOWED',
    );
  });

  it('passes routing refusals through: unknown local part, foreign domain', () => {
    assert.equal(
      code(() => checkRecipient({ ...base, address: 'nobody@ingest.hview.example', sender: 'a@b.example' })),
      'RECIPIENT_UNKNOWN',
    );
    assert.equal(
      code(() => checkRecipient({ ...base, address: 'victim@gmail.example', sender: 'a@b.example' })),
      'RELAY_DENIED',
    );
  });

  it('lets an authenticated user past the allow-list, but a user bound to a customer only to that customer', () => {
    assert.equal(
      checkRecipient({ ...base, address: 'reports@locked.example', sender: 'anyone@x.example', authenticated: { customer: 'locked_co' } }),
      'locked_co',
    );
    assert.equal(checkRecipient({ ...base, address: 'reports@locked.example', sender: null, authenticated: { customer: null } }), 'locked_co');
    assert.equal(
      code(() => checkRecipient({ ...base, address: 'bobs_burgers@ingest.hview.example', sender: 'a@b.example', authenticated: { customer: 'locked_co' } })),
      'SENDER_NOT_ALLOWED',
    );
    assert.equal(
      code(() => checkRecipient({ ...base, address: 'victim@gmail.example', sender: 'a@b.example', authenticated: { customer: null } })),
      'RELAY_DENIED',
      'never an open relay, even when authenticated',
    );
  });

  it('refuses a disabled customer, authenticated or not, with a reply of 550 5.2.1', () => {
    assert.equal(
      code(() => checkRecipient({ ...base, address: 'reports@gone.example', sender: 'a@b.example' })),
      'CUSTOMER_DISABLED',
    );
    assert.equal(
      code(() => checkRecipient({ ...base, address: 'gone_co@ingest.hview.example', sender: null, authenticated: { customer: null } })),
      'CUSTOMER_DISABLED',
    );
    try {
      checkRecipient({ ...base, address: 'reports@gone.example', sender: 'a@b.example' });
    } catch (error) {
      assert.deepEqual(replyForError(error), { responseCode: 550, message: '5.2.1 recipient <reports@gone.example> is disabled' });
    }
  });

  it('with requireSenderAllowList, refuses a customer without allowed senders (550 5.7.1), except to an authenticated session', () => {
    const strict = { ...base, requireSenderAllowList: true };
    assert.equal(
      code(() => checkRecipient({ ...strict, address: 'bobs_burgers@ingest.hview.example', sender: 'anyone@x.example' })),
      'SENDER_ALLOW_LIST_MISSING',
    );
    assert.equal(
      checkRecipient({ ...strict, address: 'reports@locked.example', sender: 'grid@hydrastor.example' }),
      'locked_co',
      'a listed sender still gets through',
    );
    assert.equal(
      code(() => checkRecipient({ ...strict, address: 'reports@locked.example', sender: 'anyone@x.example' })),
      'SENDER_NOT_ALLOWED',
    );
    assert.equal(
      checkRecipient({ ...strict, address: 'bobs_burgers@ingest.hview.example', sender: 'a@b.example', authenticated: { customer: null } }),
      'bobs_burgers',
    );
    try {
      checkRecipient({ ...strict, address: 'bobs_burgers@ingest.hview.example', sender: 'anyone@x.example' });
      assert.fail('accepted');
    } catch (error) {
      assert.deepEqual(replyForError(error), {
        responseCode: 550,
        message: '5.7.1 recipient <bobs_burgers@ingest.hview.example> has no sender allow-list, and this server takes mail only from listed senders',
      });
    }
  });
});
