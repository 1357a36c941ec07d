import assert from 'node:assert/strict';
import { IngestError } from '../../src/core/ingest-error.js';
import { SessionLimits } from '../../src/smtp/session-limits.js';

describe('SessionLimits', () => {
  it('counts sessions per address, exempts trusted relays, and frees slots on release', () => {
    const limits = new SessionLimits({ maxPerAddress: 2, sessionMaxMs: 60_000, exempt: (address) => address === '10.0.0.1', onExpired: () => undefined });
    limits.admit({ id: 'a', remoteAddress: '192.0.2.1' });
    limits.admit({ id: 'b', remoteAddress: '192.0.2.1' });
    assert.throws(
      () => limits.admit({ id: 'c', remoteAddress: '192.0.2.1' }),
      (error: unknown) => error instanceof IngestError && error.code === 'TOO_MANY_CONNECTIONS' && error.transient,
    );
    limits.admit({ id: 'd', remoteAddress: '192.0.2.2' });
    for (const id of ['r1', 'r2', 'r3']) limits.admit({ id, remoteAddress: '10.0.0.1' });
    limits.release('a');
    limits.release('a');
    limits.release('never-admitted');
    limits.admit({ id: 'e', remoteAddress: '192.0.2.1' });
    assert.throws(() => limits.admit({ id: 'f', remoteAddress: '192.0.2.1' }));
    limits.releaseAll();
  });

  it('counts an IPv6 client by its /64 (a host owns the whole subnet) and an IPv4 client by its address', () => {
    const limits = new SessionLimits({
      maxPerAddress: 2,
      sessionMaxMs: 60_000,
      exempt: (address) => address === '2001:db8:1:1::25',
      onExpired: () => undefined,
    });
    limits.admit({ id: 'a', remoteAddress: '2001:db8:1:1::1' });
    limits.admit({ id: 'b', remoteAddress: '2001:db8:1:1:ffff:ffff:ffff:fffe' });
    assert.throws(
      () => limits.admit({ id: 'c', remoteAddress: '2001:0db8:0001:0001::9' }),
      (error: unknown) =>
        error instanceof IngestError &&
        error.code === 'TOO_MANY_CONNECTIONS' &&
        error.expose &&
        error.message === 'too many connections from your address, try again later' &&
        error.details?.countedAs === '2001:db8:1:1::/64',
    );
    limits.admit({ id: 'd', remoteAddress: '2001:db8:1:2::1' });
    limits.admit({ id: 'relay', remoteAddress: '2001:db8:1:1::25' });
    limits.admit({ id: 'e', remoteAddress: '192.0.2.1' });
    limits.admit({ id: 'f', remoteAddress: '192.0.2.2' });
    limits.admit({ id: 'g', remoteAddress: '192.0.2.1' });
    assert.throws(() => limits.admit({ id: 'h', remoteAddress: '192.0.2.1' }));
    limits.releaseAll();
  });

  it('reports a session past its deadline once, and not after release', async () => {
    const expired: string[] = [];
    const limits = new SessionLimits({ maxPerAddress: 10, sessionMaxMs: 30, exempt: () => false, onExpired: (id) => expired.push(id) });
    limits.admit({ id: 'slow', remoteAddress: '192.0.2.1' });
    limits.admit({ id: 'done', remoteAddress: '192.0.2.1' });
    limits.release('done');
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.deepEqual(expired, ['slow']);
    limits.releaseAll();
  });
});
