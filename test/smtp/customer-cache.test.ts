import assert from 'node:assert/strict';
import type { RecipientCustomer } from '../../src/routing/route-recipient.js';
import { cachedCustomers } from '../../src/smtp/customer-cache.js';

describe('cachedCustomers', () => {
  it('reads once per period, shares a read in progress, and forgets a failed read', async () => {
    let clock = 0;
    let reads = 0;
    let fail = false;
    const list: RecipientCustomer[] = [{ slug: 'a', ingestAddresses: [], allowedSenders: [] }];
    const get = cachedCustomers({
      ttlMs: 5000,
      now: () => clock,
      load: async () => {
        reads += 1;
        if (fail) throw new Error('database down');
        return list;
      },
    });
    const [first, second] = await Promise.all([get(), get()]);
    assert.equal(first, list);
    assert.equal(second, list);
    assert.equal(reads, 1);
    clock = 4999;
    await get();
    assert.equal(reads, 1);
    clock = 5000;
    fail = true;
    await assert.rejects(get(), /database down/);
    fail = false;
    assert.equal(await get(), list, 'the failure was not kept');
    assert.equal(reads, 3);
  });

  it('reads every time with a period of 0', async () => {
    let reads = 0;
    const get = cachedCustomers({
      ttlMs: 0,
      load: async () => {
        reads += 1;
        return [];
      },
    });
    await get();
    await get();
    assert.equal(reads, 2);
  });
});
