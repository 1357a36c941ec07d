import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'mocha';
import { IngestError } from '../../src/core/ingest-error.js';
import { parseS3Notification } from '../../src/s3events/notification.js';
import { parseSeedS3Path, routeObject } from '../../src/s3events/route-object.js';
import type { S3Route } from '../../src/s3events/route-object.js';

const ROUTES: readonly S3Route[] = [
  { bucket: 'veritas2hview', category: 'hydrastor', type: 'veritas2hview' },
  { bucket: 'shared-uploads', category: 'hydrastor', type: 'veritas2hview', prefix: 'veritas' },
  { bucket: 'shared-uploads', category: 'hydrastor', type: 'system_report', prefix: '/veritas/reports/' },
];

function isUnroutable(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof IngestError, `expected an IngestError, got ${String(error)}`);
    assert.equal(error.code, 'OBJECT_UNROUTABLE');
    assert.equal(error.transient, false);
    assert.equal(error.expose, true);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('routeObject', () => {
  it('routes the seed key convention <customer>/<grid>/<file>', () => {
    const routed = routeObject({ bucket: 'veritas2hview', key: 'bobs_burgers/icecream_machine/big_ol_dump.tar.gz', routes: ROUTES });
    assert.deepEqual(routed, {
      category: 'hydrastor',
      type: 'veritas2hview',
      customer: 'bobs_burgers',
      group: 'icecream_machine',
      fileName: 'big_ol_dump.tar.gz',
    });
  });

  it('routes the decoded key of every created fixture', () => {
    for (const name of ['aws_object_created.json', 'aws_sns_wrapped.json', 'minio_webhook_put.json']) {
      const body = readFileSync(new URL(`../fixtures/s3events/${name}`, import.meta.url), 'utf8');
      const notification = parseS3Notification(body);
      assert.ok(notification.kind === 'records');
      const [record] = notification.created;
      assert.ok(record);
      const routed = routeObject({ bucket: record.bucket, key: record.key, routes: ROUTES });
      assert.equal(routed.customer, 'bobs_burgers', name);
      assert.equal(routed.group, 'icecream_machine', name);
      assert.equal(routed.fileName, 'Veritas2Hview nbumaster01 2023-01-13.tar.gz', name);
    }
  });

  it('keeps spaces, plus signs, percent signs and non-ASCII in segments as they are', () => {
    const routed = routeObject({ bucket: 'veritas2hview', key: 'bobs burgers/日本 grid/a+b 100%.zip', routes: ROUTES });
    assert.equal(routed.customer, 'bobs burgers');
    assert.equal(routed.group, '日本 grid');
    assert.equal(routed.fileName, 'a+b 100%.zip');
  });

  it('strips a configured prefix, with or without slashes in config', () => {
    const routed = routeObject({ bucket: 'shared-uploads', key: 'veritas/bobs_burgers/icecream_machine/x.zip', routes: ROUTES });
    assert.equal(routed.type, 'veritas2hview');
    assert.equal(routed.customer, 'bobs_burgers');
  });

  it('picks the longest matching prefix when routes share a bucket', () => {
    const routed = routeObject({ bucket: 'shared-uploads', key: 'veritas/reports/bobs_burgers/icecream_machine/r.tar.gz', routes: ROUTES });
    assert.equal(routed.type, 'system_report');
    assert.equal(routed.customer, 'bobs_burgers');
    assert.equal(routed.group, 'icecream_machine');
  });

  it('does not take a prefix that only matches part of a segment', () => {
    assert.throws(
      () => routeObject({ bucket: 'shared-uploads', key: 'veritasX/bobs_burgers/icecream_machine/x.zip', routes: ROUTES }),
      isUnroutable(/not under a configured prefix \("veritas\/", "veritas\/reports\/"\)/),
    );
  });

  it('rejects an unmapped bucket', () => {
    assert.throws(
      () => routeObject({ bucket: 'someone-elses', key: 'bobs_burgers/icecream_machine/x.zip', routes: ROUTES }),
      isUnroutable(/bucket "someone-elses" is not mapped to any module/),
    );
    assert.throws(() => routeObject({ bucket: 'veritas2hview', key: 'bobs_burgers/icecream_machine/x.zip', routes: [] }), isUnroutable(/not mapped/));
  });

  const badKeys: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['too few segments', 'bobs_burgers/x.tar.gz', /has 2 segment\(s\).*expected <customer>\/<grid>\/<file>/],
    ['a single segment', 'x.tar.gz', /has 1 segment\(s\)/],
    ['too many segments', 'bobs_burgers/icecream_machine/2023/x.tar.gz', /has 4 segment\(s\)/],
    ['a leading slash', '/bobs_burgers/icecream_machine/x.tar.gz', /has 4 segment\(s\)/],
    ['an empty customer', '/icecream_machine/x.tar.gz', /customer segment is empty/],
    ['an empty grid', 'bobs_burgers//x.tar.gz', /grid segment is empty/],
    ['an empty file', 'bobs_burgers/icecream_machine/', /file segment is empty/],
    ['a blank grid', 'bobs_burgers/   /x.tar.gz', /grid segment is empty/],
    ['a .. customer', '../icecream_machine/x.tar.gz', /customer segment is "\.\."/],
    ['a . grid', 'bobs_burgers/./x.tar.gz', /grid segment is "\."/],
    ['a .. file', 'bobs_burgers/icecream_machine/..', /file segment is "\.\."/],
    ['a NUL in the file', 'bobs_burgers/icecream_machine/x\u0000.tar.gz', /file segment contains a control character/],
    ['a newline in the grid', 'bobs_burgers/ice\ncream/x.tar.gz', /grid segment contains a control character/],
    ['a tab in the customer', 'bobs\tburgers/icecream_machine/x.tar.gz', /customer segment contains a control character/],
    ['DEL in the customer', 'bobs\u007Fburgers/icecream_machine/x.tar.gz', /control character/],
    ['a C1 control in the grid', 'bobs_burgers/ice\u0085cream/x.tar.gz', /control character/],
    ['a segment over 255 bytes', `bobs_burgers/${'é'.repeat(128)}/x.tar.gz`, /grid segment is longer than 255 bytes/],
  ];
  for (const [what, key, pattern] of badKeys) {
    it(`rejects ${what}`, () => {
      assert.throws(() => routeObject({ bucket: 'veritas2hview', key, routes: ROUTES }), isUnroutable(pattern));
    });
  }

  it('names the bucket and the key (escaped) in the message', () => {
    assert.throws(
      () => routeObject({ bucket: 'veritas2hview', key: 'a/b\r\nc/d', routes: ROUTES }),
      isUnroutable(/^object "a\/b\\r\\nc\/d" in bucket "veritas2hview" cannot be routed: /),
    );
  });

  it('names the prefix in the expected shape', () => {
    assert.throws(
      () => routeObject({ bucket: 'shared-uploads', key: 'veritas/bobs_burgers/x.zip', routes: ROUTES }),
      isUnroutable(/expected veritas\/<customer>\/<grid>\/<file>/),
    );
  });
});

describe('parseSeedS3Path', () => {
  it('routes the seed README example and returns bucket and key', () => {
    const routed = parseSeedS3Path({ s3Path: 'bobs_burgers/ice_cream_machine/big_ol_dump.tar.gz', bucket: 'veritas2hview', routes: ROUTES });
    assert.deepEqual(routed, {
      category: 'hydrastor',
      type: 'veritas2hview',
      customer: 'bobs_burgers',
      group: 'ice_cream_machine',
      fileName: 'big_ol_dump.tar.gz',
      bucket: 'veritas2hview',
      key: 'bobs_burgers/ice_cream_machine/big_ol_dump.tar.gz',
    });
  });

  it('tolerates leading slashes and returns the key without them', () => {
    const routed = parseSeedS3Path({ s3Path: '//bobs_burgers/icecream_machine/x.zip', bucket: 'veritas2hview', routes: ROUTES });
    assert.equal(routed.key, 'bobs_burgers/icecream_machine/x.zip');
    assert.equal(routed.customer, 'bobs_burgers');
  });

  it('applies a configured prefix like routeObject', () => {
    const routed = parseSeedS3Path({ s3Path: 'veritas/bobs_burgers/icecream_machine/x.zip', bucket: 'shared-uploads', routes: ROUTES });
    assert.equal(routed.group, 'icecream_machine');
  });

  it('rejects a path that includes the bucket name', () => {
    assert.throws(
      () => parseSeedS3Path({ s3Path: 'veritas2hview/bobs_burgers/icecream_machine/x.zip', bucket: 'veritas2hview', routes: ROUTES }),
      isUnroutable(/must not start with the bucket name "veritas2hview"/),
    );
  });

  for (const url of [
    's3://veritas2hview/bobs_burgers/icecream_machine/x.zip',
    's3://other-bucket/a/b/c',
    'http://169.254.169.254/latest/meta-data/x',
    'HTTPS://example.com/a/b',
  ]) {
    it(`rejects the URL ${url}`, () => {
      assert.throws(() => parseSeedS3Path({ s3Path: url, bucket: 'veritas2hview', routes: ROUTES }), isUnroutable(/not a URL/));
    });
  }

  const badPaths = ['', 'bobs_burgers/x.zip', '../../etc/passwd', 'bobs_burgers/../x.zip', 'bobs_burgers/icecream_machine/a\u0000.zip', 'a/b/c/d'];
  for (const s3Path of badPaths) {
    it(`rejects ${JSON.stringify(s3Path)}`, () => {
      assert.throws(() => parseSeedS3Path({ s3Path, bucket: 'veritas2hview', routes: ROUTES }), isUnroutable(/cannot be routed/));
    });
  }

  it('rejects an unmapped bucket', () => {
    assert.throws(() => parseSeedS3Path({ s3Path: 'bobs_burgers/icecream_machine/x.zip', bucket: 'nope', routes: ROUTES }), isUnroutable(/not mapped/));
  });
});
