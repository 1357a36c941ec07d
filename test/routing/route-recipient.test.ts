import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { IngestError } from '../../src/core/ingest-error.js';
import { findRouteClashes } from '../../src/routing/find-route-clashes.js';
import { routeRecipient, senderAllowed } from '../../src/routing/route-recipient.js';
import type { RecipientCustomer } from '../../src/routing/route-recipient.js';
import { replyForError } from '../../src/smtp/reply-for-error.js';

const CUSTOMERS: readonly RecipientCustomer[] = [
  { slug: 'bobs_burgers', ingestAddresses: ['HydraStor-Reports@Bobsburgers.example'], allowedSenders: ['@icecream-machine.bobsburgers.example'] },
  { slug: 'jimmy_pesto', ingestAddresses: [], allowedSenders: [] },
  { slug: 'Mixed_Case', ingestAddresses: ['reports@ingest.hview.example'], allowedSenders: [] },
];
const INGEST_DOMAINS = ['ingest.hview.example', 'Mail.HView.example.'];

function route(address: string): string {
  return routeRecipient({ address, customers: CUSTOMERS, ingestDomains: INGEST_DOMAINS });
}

function rejectsWith(code: string, pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof IngestError, `expected an IngestError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.transient, false);
    assert.equal(error.expose, true);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('routeRecipient', () => {
  const accepted: ReadonlyArray<readonly [string, string]> = [
    ['bobs_burgers@ingest.hview.example', 'bobs_burgers'],
    ['Bobs_Burgers@INGEST.hview.EXAMPLE', 'bobs_burgers'],
    ['bobs_burgers@mail.hview.example', 'bobs_burgers'],
    ['bobs_burgers@ingest.hview.example.', 'bobs_burgers'],
    ['<bobs_burgers@ingest.hview.example>', 'bobs_burgers'],
    ['reports+bobs_burgers@ingest.hview.example', 'bobs_burgers'],
    ['grid.a+b+jimmy_pesto@ingest.hview.example', 'jimmy_pesto'],
    ['+jimmy_pesto@ingest.hview.example', 'jimmy_pesto'],
    ['hydrastor-reports@bobsburgers.example', 'bobs_burgers'],
    ['HYDRASTOR-REPORTS@BOBSBURGERS.EXAMPLE', 'bobs_burgers'],
    ['mixed_case@ingest.hview.example', 'Mixed_Case'],
    // A listed address wins over the slug rules even inside an ingest domain.
    ['reports@ingest.hview.example', 'Mixed_Case'],
  ];
  for (const [address, slug] of accepted) {
    it(`${address} → ${slug}`, () => {
      assert.equal(route(address), slug);
    });
  }

  const unknown = [
    'nobody@ingest.hview.example',
    'bobs_burgers+nobody@ingest.hview.example',
    'bobs.burgers@ingest.hview.example',
    'bobs_burgers+@ingest.hview.example',
    'hydrastor-reports@ingest.hview.example',
  ];
  for (const address of unknown) {
    it(`${address} → RECIPIENT_UNKNOWN, 550 5.1.1`, () => {
      assert.throws(() => route(address), rejectsWith('RECIPIENT_UNKNOWN', /is not a known ingest address/));
      try {
        route(address);
      } catch (error) {
        assert.equal(replyForError(error).responseCode, 550);
        assert.match(replyForError(error).message, /^5\.1\.1 /);
      }
    });
  }

  it('an address without a domain is RECIPIENT_UNKNOWN', () => {
    assert.throws(() => route('bobs_burgers'), rejectsWith('RECIPIENT_UNKNOWN', /not a complete address/));
    assert.throws(() => route('bobs_burgers@'), rejectsWith('RECIPIENT_UNKNOWN', /not a complete address/));
    assert.throws(() => route('@ingest.hview.example'), rejectsWith('RECIPIENT_UNKNOWN', /not a complete address/));
  });

  const foreign = [
    'bobs_burgers@gmail.example',
    'bobs_burgers@evil.ingest.hview.example',
    'bobs_burgers@ingest.hview.example.evil.example',
    'bobs_burgers@[127.0.0.1]',
    'bobs_burgers@hview.example',
    'someone@bobsburgers.example',
  ];
  for (const address of foreign) {
    it(`${address} → RELAY_DENIED, 550 5.7.1`, () => {
      assert.throws(() => route(address), rejectsWith('RELAY_DENIED', /relay access denied: domain ".+" is not an ingest domain/));
      try {
        route(address);
      } catch (error) {
        assert.deepEqual(replyForError(error).responseCode, 550);
        assert.match(replyForError(error).message, /^5\.7\.1 /);
      }
    });
  }

  it('with no ingest domains only listed addresses route', () => {
    assert.equal(routeRecipient({ address: 'hydrastor-reports@bobsburgers.example', customers: CUSTOMERS, ingestDomains: [] }), 'bobs_burgers');
    assert.throws(
      () => routeRecipient({ address: 'bobs_burgers@ingest.hview.example', customers: CUSTOMERS, ingestDomains: [] }),
      rejectsWith('RELAY_DENIED', /not an ingest domain/),
    );
  });

  it('a hostile address stays a one-line reply of bounded length', () => {
    const address = `x\r\n250 OK${'a'.repeat(5000)}@ingest.hview.example`;
    try {
      route(address);
      assert.fail('expected a rejection');
    } catch (error) {
      const reply = replyForError(error);
      assert.equal(reply.responseCode, 550);
      assert.doesNotMatch(reply.message, /[\r\n\u0000]/);
      assert.ok(`${reply.responseCode} ${reply.message}`.length <= 512);
    }
  });
});

describe('senderAllowed', () => {
  const patterns = ['hydrastor@icecream-machine.bobsburgers.example', '@Pesto.example', '*.grids.bobsburgers.example', '@*.partner.example', 'bare.example'];
  const table: ReadonlyArray<readonly [string, boolean]> = [
    // Full address: exact, case-insensitive.
    ['hydrastor@icecream-machine.bobsburgers.example', true],
    ['HydraStor@ICECREAM-machine.bobsburgers.example', true],
    ['<hydrastor@icecream-machine.bobsburgers.example>', true],
    ['other@icecream-machine.bobsburgers.example', false],
    ['hydrastor@bobsburgers.example', false],
    // @domain: exactly that domain.
    ['anyone@pesto.example', true],
    ['anyone@PESTO.EXAMPLE.', true],
    ['anyone@sub.pesto.example', false],
    ['anyone@notpesto.example', false],
    // *.domain: subdomains at any depth, not the domain itself.
    ['a@node1.grids.bobsburgers.example', true],
    ['a@x.y.grids.bobsburgers.example', true],
    ['a@grids.bobsburgers.example', false],
    ['a@evilgrids.bobsburgers.example', false],
    ['a@grids.bobsburgers.example.evil.example', false],
    ['a@mail.partner.example', true],
    ['a@partner.example', false],
    // Bare domain: same as @domain.
    ['a@bare.example', true],
    ['a@sub.bare.example', false],
    // Incomplete and null senders.
    ['no-at-sign', false],
    ['', false],
    ['<>', false],
  ];
  for (const [sender, expected] of table) {
    it(`${JSON.stringify(sender)} → ${expected}`, () => {
      assert.equal(senderAllowed({ sender, allowedSenders: patterns }), expected);
    });
  }

  it('null sender is refused by a non-empty list', () => {
    assert.equal(senderAllowed({ sender: null, allowedSenders: patterns }), false);
  });

  it('an empty list allows anyone, including the null sender', () => {
    for (const sender of ['anyone@anywhere.example', '', '<>', null, 'no-at-sign']) {
      assert.equal(senderAllowed({ sender, allowedSenders: [] }), true, String(sender));
    }
  });

  it('blank or degenerate patterns match nothing', () => {
    for (const pattern of ['', '   ', '@', '*.', '@*.']) {
      assert.equal(senderAllowed({ sender: 'a@example.com', allowedSenders: [pattern] }), false, JSON.stringify(pattern));
    }
  });

  it('uses the customer allow-list from config', () => {
    const [bobs] = CUSTOMERS;
    assert.ok(bobs);
    assert.equal(senderAllowed({ sender: 'hydrastor@icecream-machine.bobsburgers.example', allowedSenders: bobs.allowedSenders }), true);
    assert.equal(senderAllowed({ sender: 'spam@elsewhere.example', allowedSenders: bobs.allowedSenders }), false);
  });
});

describe('ambiguous routes (two customers claim one address)', () => {
  const ingestDomains = ['ingest.hview.example'];
  const refusedAsAmbiguous = (customers: readonly string[]) => (error: unknown) => {
    assert.ok(error instanceof IngestError);
    assert.equal(error.code, 'RECIPIENT_AMBIGUOUS');
    assert.equal(error.transient, true, 'the sender retries once an admin has fixed it');
    for (const slug of customers) assert.match(error.message, new RegExp(`"${slug}"`));
    assert.equal(replyForError(error).responseCode, 451);
    return true;
  };

  it('refuses an address listed by two customers instead of picking the first', () => {
    const customers: RecipientCustomer[] = [
      { slug: 'aaa', ingestAddresses: ['shared@example.com'], allowedSenders: [] },
      { slug: 'bbb', ingestAddresses: ['Shared@Example.com.'], allowedSenders: [] },
    ];
    assert.throws(() => routeRecipient({ address: 'shared@example.com', customers, ingestDomains }), refusedAsAmbiguous(['aaa', 'bbb']));
  });

  it('refuses a listed address that is another customer’s slug or +tag address in an ingest domain', () => {
    const customers: RecipientCustomer[] = [
      { slug: 'aaa', ingestAddresses: ['bbb@ingest.hview.example', 'x+bbb@ingest.hview.example', 'bbb@elsewhere.example'], allowedSenders: [] },
      { slug: 'bbb', ingestAddresses: [], allowedSenders: [] },
    ];
    assert.throws(() => routeRecipient({ address: 'bbb@ingest.hview.example', customers, ingestDomains }), refusedAsAmbiguous(['aaa', 'bbb']));
    assert.throws(() => routeRecipient({ address: 'x+bbb@ingest.hview.example', customers, ingestDomains }), refusedAsAmbiguous(['aaa', 'bbb']));
    // Outside the ingest domains a slug means nothing: the listed address is aaa's alone.
    assert.equal(routeRecipient({ address: 'bbb@elsewhere.example', customers, ingestDomains }), 'aaa');
    assert.equal(routeRecipient({ address: 'y+bbb@ingest.hview.example', customers, ingestDomains }), 'bbb');
  });

  it('findRouteClashes names every shared address and S3 prefix with its holders', () => {
    const clashes = findRouteClashes({
      ingestDomains,
      customers: [
        {
          slug: 'aaa',
          ingestAddresses: ['shared@example.com', 'x+ccc@ingest.hview.example', 'own@example.com'],
          s3Prefixes: ['uploads/shared/', 'uploads/aaa'],
        },
        { slug: 'bbb', ingestAddresses: ['SHARED@example.com'], s3Prefixes: ['/uploads/shared'] },
        { slug: 'ccc', ingestAddresses: [], s3Prefixes: ['Uploads/Shared'] },
      ],
    });
    assert.deepEqual(clashes, [
      { kind: 'address', route: 'shared@example.com', customers: ['aaa', 'bbb'] },
      { kind: 'address', route: 'x+ccc@ingest.hview.example', customers: ['aaa', 'ccc'] },
      { kind: 's3Prefix', route: 'uploads/shared', customers: ['aaa', 'bbb'] },
    ]);
  });
});
