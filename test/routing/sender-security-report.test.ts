import assert from 'node:assert/strict';
import { senderSecurityReport, type SenderPolicy } from '../../src/routing/sender-security-report.js';

const customer = (slug: string, allowedSenders: readonly string[] = [], requireSenderAuth: SenderPolicy['requireSenderAuth'] = null): SenderPolicy => ({
  slug,
  allowedSenders,
  requireSenderAuth,
});

describe('senderSecurityReport', () => {
  it('names the customers without an allow-list, as accepting anyone or, when required, refusing all mail', () => {
    const customers = [customer('open_co'), customer('locked_co', ['@grid.example'])];
    assert.deepEqual(senderSecurityReport({ customers, requireSenderAllowList: false, trustedAuthservIds: [] }), {
      withoutAllowList: ['open_co'],
      unverifiableAuth: [],
      warning: 'customers accepting any sender (no sender allow-list): open_co',
    });
    assert.equal(
      senderSecurityReport({ customers, requireSenderAllowList: true, trustedAuthservIds: [] }).warning,
      'customers refusing all mail (no sender allow-list, and smtp.requireSenderAllowList is on): open_co',
    );
    assert.deepEqual(senderSecurityReport({ customers: [customers[1]!], requireSenderAllowList: true, trustedAuthservIds: [] }), {
      withoutAllowList: [],
      unverifiableAuth: [],
    });
  });

  it('names customers requiring a verdict no header can give, while no authserv-id is trusted', () => {
    const customers = [customer('strict_co', ['@grid.example'], 'dmarc')];
    assert.equal(
      senderSecurityReport({ customers, requireSenderAllowList: false, trustedAuthservIds: [] }).warning,
      'customers refusing all mail (requireSenderAuth is set, but smtp.trustedAuthservIds is empty): strict_co',
    );
    assert.equal(senderSecurityReport({ customers, requireSenderAllowList: false, trustedAuthservIds: ['mx.example'] }).warning, undefined);
  });

  it('keeps the warning short for many customers', () => {
    const customers = Array.from({ length: 25 }, (_, index) => customer(`c${String(index).padStart(2, '0')}`));
    const report = senderSecurityReport({ customers, requireSenderAllowList: false, trustedAuthservIds: [] });
    assert.equal(report.withoutAllowList.length, 25);
    assert.match(report.warning ?? '', /: c00, c01, .*, c19 and 5 more$/);
  });
});
