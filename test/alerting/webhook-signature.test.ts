import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { alertKey } from '../../src/alerting/alert-kinds.js';
import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from '../../src/alerting/webhook-signature.js';

describe('webhook signatures (docs/alerts.md)', () => {
  const secret = 'whsec_test_0123456789abcdef';
  const body = '{"id":"e1","type":"alert.opened"}';

  it('is t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>', () => {
    const header = signWebhook({ secret, body, timestampSeconds: 1_700_000_000.9 });
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    assert.equal(header, `t=1700000000,v1=${expected}`);
  });

  it('verifies a fresh signature and rejects a stale one, another body, another secret or a bad header', () => {
    const now = 1_700_000_000;
    const header = signWebhook({ secret, body, timestampSeconds: now });
    assert.deepEqual(verifyWebhookSignature({ secret, body, header, nowSeconds: now + 299 }), { valid: true, timestampSeconds: now });
    assert.equal(verifyWebhookSignature({ secret, body, header, nowSeconds: now + 301 }).valid, false, 'replayed after the tolerance');
    assert.equal(verifyWebhookSignature({ secret, body: `${body} `, header, nowSeconds: now }).valid, false);
    assert.equal(verifyWebhookSignature({ secret: `${secret}x`, body, header, nowSeconds: now }).valid, false);
    assert.equal(verifyWebhookSignature({ secret, body, header: undefined, nowSeconds: now }).valid, false);
    assert.equal(verifyWebhookSignature({ secret, body, header: 'v1=abc', nowSeconds: now }).valid, false);
    // A second v1 (a receiver rolling secrets) is accepted when one matches.
    assert.equal(verifyWebhookSignature({ secret, body, header: `t=${now},v1=deadbeef,${header.split(',')[1]}`, nowSeconds: now }).valid, true);
  });

  it('generates distinct secrets of 32 random bytes', () => {
    const a = generateWebhookSecret();
    assert.match(a, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, generateWebhookSecret());
  });

  it('keys conditions by what they are about', () => {
    assert.equal(alertKey('job_failed', { customer: 'bobs', category: 'hydrastor', type: 'system_report', group: 'g1' }), 'bobs/hydrastor/system_report');
    assert.equal(alertKey('silent_source', { customer: 'bobs', category: 'hydrastor', type: 'system_report', group: 'g1' }), 'bobs/g1/hydrastor/system_report');
    assert.equal(alertKey('disk_low', { node: 'n1', area: 'data' }), 'n1/data');
    assert.equal(alertKey('worker_stuck', {}), 'queue');
  });
});
