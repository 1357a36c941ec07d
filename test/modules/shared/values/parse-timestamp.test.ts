import assert from 'node:assert/strict';
import { applyTimezone, isKnownTimeZone } from '../../../../src/modules/shared/values/apply-timezone.js';
import { parseTimestamp } from '../../../../src/modules/shared/values/parse-timestamp.js';
import { IngestError } from '../../../../src/core/ingest-error.js';

describe('parseTimestamp', () => {
  const instants: [string, string][] = [
    ['2023-01-13 12:00:00 +0900', '2023-01-13T03:00:00.000Z'],
    ['2023-01-13T12:00:00+09:00', '2023-01-13T03:00:00.000Z'],
    ['2023-01-13 12:00:00+0900', '2023-01-13T03:00:00.000Z'],
    ['2023-01-13 12:00:00 -0530', '2023-01-13T17:30:00.000Z'],
    ['2023-01-13T03:00:00Z', '2023-01-13T03:00:00.000Z'],
    ['2023-01-13 03:00:00 UTC', '2023-01-13T03:00:00.000Z'],
    ['2023/01/13 12:00:00 +0900', '2023-01-13T03:00:00.000Z'],
    ['2023-01-13T12:00:00.250+09:00', '2023-01-13T03:00:00.250Z'],
  ];
  for (const [text, iso] of instants) {
    it(`reads ${text} as ${iso} with an offset`, () => {
      const parsed = parseTimestamp(text);
      assert.equal(parsed?.date.toISOString(), iso);
      assert.equal(parsed?.hasOffset, true);
    });
  }

  it('returns a naive time and says so when there is no offset', () => {
    const parsed = parseTimestamp('2023-01-13 11:42:09');
    assert.equal(parsed?.hasOffset, false);
    assert.equal(parsed?.date.toISOString(), '2023-01-13T11:42:09.000Z');
  });

  for (const bad of ['', 'yesterday', '2023-02-30 12:00:00 +0900', '2023-13-01 12:00:00', '2023-01-13 25:00:00', '2023-01-13 12:00:00 +2500']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.equal(parseTimestamp(bad), null);
    });
  }
});

describe('applyTimezone', () => {
  const naive = (text: string): Date => {
    const parsed = parseTimestamp(text);
    assert.ok(parsed !== null && !parsed.hasOffset);
    return parsed.date;
  };

  it("reads a naive time in the grid's zone", () => {
    assert.equal(applyTimezone(naive('2023-01-13 11:42:09'), 'Asia/Tokyo').toISOString(), '2023-01-13T02:42:09.000Z');
  });

  it('uses UTC when no zone is known', () => {
    assert.equal(applyTimezone(naive('2023-01-13 11:42:09'), null).toISOString(), '2023-01-13T11:42:09.000Z');
    assert.equal(applyTimezone(naive('2023-01-13 11:42:09'), undefined).toISOString(), '2023-01-13T11:42:09.000Z');
  });

  it('follows daylight saving time', () => {
    assert.equal(applyTimezone(naive('2023-01-13 12:00:00'), 'America/New_York').toISOString(), '2023-01-13T17:00:00.000Z');
    assert.equal(applyTimezone(naive('2023-07-01 12:00:00'), 'America/New_York').toISOString(), '2023-07-01T16:00:00.000Z');
  });

  it('resolves a repeated wall-clock time to its first occurrence and a skipped one forward', () => {
    assert.equal(applyTimezone(naive('2023-11-05 01:30:00'), 'America/New_York').toISOString(), '2023-11-05T05:30:00.000Z');
    assert.equal(applyTimezone(naive('2023-03-12 02:30:00'), 'America/New_York').toISOString(), '2023-03-12T07:30:00.000Z');
  });

  it('rejects an unknown zone with a clear IngestError', () => {
    assert.equal(isKnownTimeZone('Mars/Olympus_Mons'), false);
    assert.throws(
      () => applyTimezone(new Date(0), 'Mars/Olympus_Mons'),
      (error: unknown) => {
        assert.ok(error instanceof IngestError);
        assert.equal(error.code, 'UNKNOWN_TIMEZONE');
        assert.match(error.message, /Mars\/Olympus_Mons/);
        return true;
      },
    );
  });
});
