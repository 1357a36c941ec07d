import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'mocha';
import { IngestError } from '../../src/core/ingest-error.js';
import { parseS3Notification } from '../../src/s3events/notification.js';
import type { ObjectCreatedRecord, S3Notification } from '../../src/s3events/notification.js';

const EXPECTED_KEY = 'bobs_burgers/icecream_machine/Veritas2Hview nbumaster01 2023-01-13.tar.gz';

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/s3events/${name}`, import.meta.url), 'utf8');
}

function fixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(fixture(name)) as Record<string, unknown>;
}

/** The AWS fixture's single record, for building variations. */
function awsRecord(): Record<string, unknown> {
  const records = fixtureJson('aws_object_created.json')['Records'] as Record<string, unknown>[];
  return structuredClone(records[0] ?? {});
}

function withObject(record: Record<string, unknown>, object: Record<string, unknown>): Record<string, unknown> {
  const s3 = record['s3'] as Record<string, unknown>;
  return { ...record, s3: { ...s3, object: { ...(s3['object'] as Record<string, unknown>), ...object } } };
}

function bodyOf(...records: unknown[]): string {
  return JSON.stringify({ Records: records });
}

function snsWrap(message: string): string {
  return JSON.stringify({ Type: 'Notification', MessageId: 'm-1', TopicArn: 'arn:aws:sns:eu-west-1:1:t', Message: message });
}

function records(notification: S3Notification): Extract<S3Notification, { kind: 'records' }> {
  assert.equal(notification.kind, 'records');
  return notification as Extract<S3Notification, { kind: 'records' }>;
}

function onlyCreated(notification: S3Notification): ObjectCreatedRecord {
  const result = records(notification);
  assert.equal(result.created.length, 1);
  assert.deepEqual(result.ignored, []);
  const [created] = result.created;
  assert.ok(created);
  return created;
}

function assertRejected(body: string, code: string, messagePattern: RegExp): IngestError {
  let caught: unknown;
  try {
    parseS3Notification(body);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof IngestError, `expected an IngestError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.transient, false);
  assert.equal(caught.expose, true);
  assert.match(caught.message, messagePattern);
  return caught;
}

describe('parseS3Notification', () => {
  describe('fixtures', () => {
    it('aws_object_created.json: one created record with the decoded key and every field', () => {
      const record = onlyCreated(parseS3Notification(fixture('aws_object_created.json')));
      assert.deepEqual(record, {
        eventName: 'ObjectCreated:CompleteMultipartUpload',
        eventTime: new Date('2023-01-13T03:00:01.123Z'),
        bucket: 'veritas2hview',
        key: EXPECTED_KEY,
        size: 19672,
        eTag: 'a2c1f0e3b9d84c7e8f6a5b4c3d2e1f00-2',
        versionId: '3HL4kqtJlcpXroDTDmjVBH40Nrjfkd',
        sequencer: '0063C0C1E1A2B3C4D5',
        region: 'eu-west-1',
        source: 'aws',
      });
    });

    it('aws_sns_wrapped.json: unwraps the SNS Message and names the same object', () => {
      const wrapped = onlyCreated(parseS3Notification(fixture('aws_sns_wrapped.json')));
      const direct = onlyCreated(parseS3Notification(fixture('aws_object_created.json')));
      assert.equal(wrapped.source, 'sns');
      assert.deepEqual({ ...wrapped, source: 'aws' }, direct);
    });

    it('aws_test_event.json: reported as a test event, with its bucket', () => {
      assert.deepEqual(parseS3Notification(fixture('aws_test_event.json')), { kind: 'test', bucket: 'veritas2hview' });
    });

    it('aws_object_removed.json: ignored with a reason, nothing created', () => {
      const result = records(parseS3Notification(fixture('aws_object_removed.json')));
      assert.deepEqual(result.created, []);
      assert.deepEqual(result.ignored, [{ eventName: 'ObjectRemoved:Delete', reason: 'object removed', bucket: 'veritas2hview', key: EXPECTED_KEY }]);
    });

    it('minio_webhook_put.json: %2F and + decoded, s3: prefix dropped, source minio', () => {
      const record = onlyCreated(parseS3Notification(fixture('minio_webhook_put.json')));
      assert.equal(record.key, EXPECTED_KEY);
      assert.equal(record.bucket, 'veritas2hview');
      assert.equal(record.eventName, 'ObjectCreated:Put');
      assert.equal(record.source, 'minio');
      assert.equal(record.size, 19672);
      assert.equal(record.eTag, '5d41402abc4b2a76b9719d911017c592');
      assert.equal(record.sequencer, '17A8C9F0E1D2B3A4');
      assert.equal(record.region, undefined, 'an empty awsRegion is left out');
      assert.equal('region' in record, false);
      assert.equal(record.versionId, undefined);
    });

    it('every fixture names the same object', () => {
      for (const name of ['aws_object_created.json', 'aws_sns_wrapped.json', 'minio_webhook_put.json']) {
        const record = onlyCreated(parseS3Notification(fixture(name)));
        assert.equal(`${record.bucket}/${record.key}`, `veritas2hview/${EXPECTED_KEY}`, name);
      }
    });
  });

  describe('key decoding inside records (catalog #27)', () => {
    const table: ReadonlyArray<readonly [string, string]> = [
      ['red+flower.csv', 'red flower.csv'],
      ['a%2Bb.csv', 'a+b.csv'],
      ['100%25.csv', '100%.csv'],
      ['%E6%97%A5%E6%9C%AC.tar.gz', '日本.tar.gz'],
      ['dir/with+space/x.zip', 'dir/with space/x.zip'],
    ];
    for (const [encoded, decoded] of table) {
      it(`${encoded} → ${decoded}`, () => {
        const record = onlyCreated(parseS3Notification(bodyOf(withObject(awsRecord(), { key: encoded }))));
        assert.equal(record.key, decoded);
      });
    }

    it('a bad percent sequence makes the notification malformed and names the record', () => {
      assertRejected(bodyOf(withObject(awsRecord(), { key: 'bad%zz.csv' })), 'NOTIFICATION_MALFORMED', /Records\[0\]\.s3\.object\.key: .*"%zz"/);
    });
  });

  describe('SNS', () => {
    it('an SNS-wrapped test event is a test event', () => {
      assert.deepEqual(parseS3Notification(snsWrap(fixture('aws_test_event.json'))), { kind: 'test', bucket: 'veritas2hview' });
    });

    it('SubscriptionConfirmation is reported as its own kind, nothing fetched', () => {
      const body = JSON.stringify({
        Type: 'SubscriptionConfirmation',
        MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
        Token:
          '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736',
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:veritas2hview-events',
        Message: 'You have chosen to subscribe to the topic ...',
        SubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=y',
        Timestamp: '2023-01-13T02:58:00.000Z',
      });
      const result = parseS3Notification(body);
      assert.equal(result.kind, 'subscription-confirmation');
      assert.ok(result.kind === 'subscription-confirmation');
      assert.equal(result.topicArn, 'arn:aws:sns:eu-west-1:123456789012:veritas2hview-events');
      assert.equal(result.subscribeUrl, 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=y');
      assert.equal(result.messageId, '165545c9-2a5c-472c-8df2-7ff2be2b3b1b');
      assert.match(result.token, /^2336412f/);
    });

    it('a SubscriptionConfirmation without a valid SubscribeURL is malformed', () => {
      const body = JSON.stringify({ Type: 'SubscriptionConfirmation', MessageId: 'm', Token: 't', TopicArn: 'arn', SubscribeURL: 'not a url' });
      assertRejected(body, 'NOTIFICATION_MALFORMED', /SubscribeURL/);
    });

    it('UnsubscribeConfirmation is acknowledged as ignored', () => {
      const body = JSON.stringify({ Type: 'UnsubscribeConfirmation', MessageId: 'm', TopicArn: 'arn', Token: 't' });
      const result = records(parseS3Notification(body));
      assert.deepEqual(result.created, []);
      assert.equal(result.ignored.length, 1);
      assert.equal(result.ignored[0]?.eventName, 'sns:UnsubscribeConfirmation');
    });

    it('an SNS Message that is not JSON is malformed and says so', () => {
      assertRejected(snsWrap('hello'), 'NOTIFICATION_MALFORMED', /SNS Message is not JSON/);
    });

    it('an SNS envelope without Message is malformed', () => {
      assertRejected(JSON.stringify({ Type: 'Notification', TopicArn: 'arn' }), 'NOTIFICATION_MALFORMED', /SNS envelope\.Message/);
    });

    it('SNS inside SNS is malformed', () => {
      assertRejected(snsWrap(snsWrap(fixture('aws_object_created.json'))), 'NOTIFICATION_MALFORMED', /another SNS envelope/);
    });

    it('an unknown SNS Type is malformed', () => {
      assertRejected(JSON.stringify({ Type: 'Surprise', TopicArn: 'arn', Message: '{}' }), 'NOTIFICATION_MALFORMED', /"Surprise"/);
    });

    it('errors inside the SNS Message say where they are', () => {
      const inner = bodyOf(withObject(awsRecord(), { key: 42 }));
      assertRejected(snsWrap(inner), 'NOTIFICATION_MALFORMED', /SNS Message: Records\[0\]\.s3\.object\.key/);
    });
  });

  describe('several records and event kinds', () => {
    it('two records in one body are both returned, in order', () => {
      const first = withObject(awsRecord(), { key: 'bobs_burgers/grid_a/one.tar.gz', sequencer: '0055AED6DCD90281E4' });
      const second = withObject(awsRecord(), { key: 'bobs_burgers/grid_b/two.zip', sequencer: '0055AED6DCD90281E5' });
      const result = records(parseS3Notification(bodyOf(first, second)));
      assert.deepEqual(
        result.created.map((record) => record.key),
        ['bobs_burgers/grid_a/one.tar.gz', 'bobs_burgers/grid_b/two.zip'],
      );
    });

    it('a create and a remove in one body split into created and ignored', () => {
      const removed = { ...awsRecord(), eventName: 'ObjectRemoved:DeleteMarkerCreated' };
      const result = records(parseS3Notification(bodyOf(awsRecord(), removed)));
      assert.equal(result.created.length, 1);
      assert.deepEqual(
        result.ignored.map((entry) => entry.reason),
        ['object removed'],
      );
    });

    it('every AWS ObjectCreated variant creates', () => {
      for (const eventName of ['ObjectCreated:Put', 'ObjectCreated:Post', 'ObjectCreated:Copy', 'ObjectCreated:CompleteMultipartUpload']) {
        assert.equal(onlyCreated(parseS3Notification(bodyOf({ ...awsRecord(), eventName }))).eventName, eventName);
      }
    });

    it('non-create events are ignored with a reason', () => {
      const cases: ReadonlyArray<readonly [string, RegExp]> = [
        ['ObjectRemoved:Delete', /removed/],
        ['ObjectRestore:Completed', /not an object-created event/],
        ['LifecycleExpiration:Delete', /not an object-created event/],
        ['s3:ObjectAccessed:Get', /not an object-created event/],
        ['s3:ObjectCreated:PutTagging', /metadata-only/],
        ['s3:ObjectCreated:PutRetention', /metadata-only/],
      ];
      for (const [eventName, reason] of cases) {
        const result = records(parseS3Notification(bodyOf({ ...awsRecord(), eventName })));
        assert.deepEqual(result.created, [], eventName);
        assert.match(result.ignored[0]?.reason ?? '', reason, eventName);
      }
    });

    it('a folder placeholder (key ending in /) is ignored', () => {
      const result = records(parseS3Notification(bodyOf(withObject(awsRecord(), { key: 'bobs_burgers/', size: 0 }))));
      assert.deepEqual(result.created, []);
      assert.equal(result.ignored[0]?.reason, 'folder placeholder object');
    });
  });

  describe('field normalisation', () => {
    it('quoted ETags lose their quotes; empty versionId and non-hex sequencer are left out', () => {
      const record = onlyCreated(parseS3Notification(bodyOf(withObject(awsRecord(), { eTag: '"abc123"', versionId: '', sequencer: 'not-hex' }))));
      assert.equal(record.eTag, 'abc123');
      assert.equal('versionId' in record, false);
      assert.equal('sequencer' in record, false);
    });

    it('a null versionId and missing size are left out', () => {
      const record = onlyCreated(parseS3Notification(bodyOf(withObject(awsRecord(), { versionId: null, size: undefined }))));
      assert.equal('versionId' in record, false);
      assert.equal('size' in record, false);
    });

    it('sequencers are upper-cased so equal events compare equal as strings', () => {
      const record = onlyCreated(parseS3Notification(bodyOf(withObject(awsRecord(), { sequencer: '0055aed6dcd90281e5' }))));
      assert.equal(record.sequencer, '0055AED6DCD90281E5');
    });

    it('eventTime with an offset becomes the same instant', () => {
      const record = onlyCreated(parseS3Notification(bodyOf({ ...awsRecord(), eventTime: '2023-01-13T12:00:01+09:00' })));
      assert.equal(record.eventTime.toISOString(), '2023-01-13T03:00:01.000Z');
    });

    it('an eventSource of minio:s3 without the webhook wrapper is still minio', () => {
      const record = onlyCreated(parseS3Notification(bodyOf({ ...awsRecord(), eventSource: 'minio:s3' })));
      assert.equal(record.source, 'minio');
    });

    it('a leading byte-order mark is tolerated', () => {
      assert.equal(onlyCreated(parseS3Notification(`\uFEFF${fixture('aws_object_created.json')}`)).key, EXPECTED_KEY);
    });
  });

  describe('rejections', () => {
    it('eventVersion 3.0 is rejected with its own code and a clear message', () => {
      assertRejected(
        bodyOf({ ...awsRecord(), eventVersion: '3.0' }),
        'NOTIFICATION_VERSION_UNSUPPORTED',
        /Records\[0\]\.eventVersion "3\.0" is not supported \(expected 2\.x\)/,
      );
    });

    it('eventVersion 1.0 is rejected; 2.0 and 2.3 are accepted', () => {
      assertRejected(bodyOf({ ...awsRecord(), eventVersion: '1.0' }), 'NOTIFICATION_VERSION_UNSUPPORTED', /"1\.0"/);
      for (const eventVersion of ['2.0', '2.3', '2']) {
        assert.equal(onlyCreated(parseS3Notification(bodyOf({ ...awsRecord(), eventVersion }))).key, EXPECTED_KEY);
      }
    });

    it('a version in a later record rejects the whole body', () => {
      assertRejected(bodyOf(awsRecord(), { ...awsRecord(), eventVersion: '3.1' }), 'NOTIFICATION_VERSION_UNSUPPORTED', /Records\[1\]/);
    });

    it('a non-numeric eventVersion is malformed', () => {
      assertRejected(bodyOf({ ...awsRecord(), eventVersion: 'two' }), 'NOTIFICATION_MALFORMED', /eventVersion "two"/);
    });

    const malformedBodies: ReadonlyArray<readonly [string, string, RegExp]> = [
      ['non-JSON', 'this is not json', /body is not JSON/],
      ['empty body', '', /body is not JSON/],
      ['a JSON array', '[]', /expected a JSON object/],
      ['a JSON string', '"Records"', /expected a JSON object/],
      ['JSON null', 'null', /expected a JSON object/],
      ['an object without Records', '{"hello":"world"}', /no Records/],
      ['Records not an array', '{"Records":{}}', /Records: /],
      ['empty Records', '{"Records":[]}', /Records: /],
      ['a record that is not an object', '{"Records":[42]}', /Records\[0\]/],
      ['a record without s3', bodyOf({ ...awsRecord(), s3: undefined }), /Records\[0\]\.s3/],
      ['a missing bucket name', bodyOf({ ...awsRecord(), s3: { object: { key: 'a/b/c' } } }), /Records\[0\]\.s3\.bucket/],
      ['a missing key', bodyOf(withObject(awsRecord(), { key: undefined })), /Records\[0\]\.s3\.object\.key/],
      ['an empty key', bodyOf(withObject(awsRecord(), { key: '' })), /Records\[0\]\.s3\.object\.key/],
      ['a key of the wrong type', bodyOf(withObject(awsRecord(), { key: ['a'] })), /Records\[0\]\.s3\.object\.key/],
      ['a size as a string', bodyOf(withObject(awsRecord(), { size: '19672' })), /Records\[0\]\.s3\.object\.size/],
      ['a negative size', bodyOf(withObject(awsRecord(), { size: -1 })), /Records\[0\]\.s3\.object\.size/],
      ['an eventTime that is not ISO 8601', bodyOf({ ...awsRecord(), eventTime: 'yesterday' }), /Records\[0\]\.eventTime/],
      ['a missing eventName', bodyOf({ ...awsRecord(), eventName: undefined }), /Records\[0\]\.eventName/],
      ['a missing eventVersion', bodyOf({ ...awsRecord(), eventVersion: undefined }), /Records\[0\]\.eventVersion/],
    ];
    for (const [what, body, pattern] of malformedBodies) {
      it(`${what} → NOTIFICATION_MALFORMED`, () => {
        const error = assertRejected(body, 'NOTIFICATION_MALFORMED', pattern);
        assert.match(error.message, /^S3 notification is malformed: /);
      });
    }

    it('a broken record in the second position names Records[1]', () => {
      assertRejected(bodyOf(awsRecord(), withObject(awsRecord(), { key: 7 })), 'NOTIFICATION_MALFORMED', /Records\[1\]\.s3\.object\.key/);
    });
  });
});
