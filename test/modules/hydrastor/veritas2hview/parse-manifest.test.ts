import assert from 'node:assert/strict';
import { checkManifestDigest, expectedSha256, parseManifest } from '../../../../src/modules/hydrastor/veritas2hview/parse-manifest.js';
import { isIngestError, type IngestError } from '../../../../src/core/ingest-error.js';
import { readZipEntries } from './support/read-archive-entries.js';

function manifestError(text: string): IngestError {
  try {
    parseManifest(text);
  } catch (error) {
    assert.ok(isIngestError(error));
    return error;
  }
  assert.fail('expected MANIFEST_INVALID');
}

describe('parseManifest', () => {
  let fixture: Record<string, unknown>;
  let fixtureText: string;
  before(async () => {
    const entries = await readZipEntries(new URL('../../../fixtures/upload/veritas2hview_small.zip', import.meta.url));
    fixtureText = entries.get('manifest.json')!.toString('utf8');
    fixture = JSON.parse(fixtureText) as Record<string, unknown>;
  });
  const variant = (change: (manifest: Record<string, unknown>) => void): string => {
    const copy = structuredClone(fixture);
    change(copy);
    return JSON.stringify(copy);
  };

  it('reads the fixture manifest into typed values', () => {
    const manifest = parseManifest(fixtureText);
    assert.equal(manifest.masterServer, 'nbumaster01.acme.local');
    assert.equal(manifest.netbackupVersion, '10.1.1');
    assert.equal(manifest.timezone, 'Asia/Tokyo');
    assert.deepEqual(manifest.generatedAt, new Date('2023-01-13T03:00:00Z'));
    assert.deepEqual(manifest.window, { from: new Date('2023-01-12T03:00:00Z'), to: new Date('2023-01-13T03:00:00Z') });
    assert.equal(manifest.bpdbjobsColumns, undefined);
    assert.equal(manifest.files.length, 7);
    assert.equal(expectedSha256(manifest, 'bpdbjobs_most_columns.csv'), '218c85b24476711f0188b7642d999b64d956e593e1cd396a22ea3ada1c2fa889');
    assert.equal(expectedSha256(manifest, 'Some_Folder/BPDBJOBS_MOST_COLUMNS.CSV'), '218c85b24476711f0188b7642d999b64d956e593e1cd396a22ea3ada1c2fa889');
    assert.equal(expectedSha256(manifest, 'unknown.txt'), null);
  });

  it('accepts a BOM, unknown keys, upper-case digests, optional sha256/rows and a column list', () => {
    const text = variant((manifest) => {
      manifest['exporterBuild'] = 'x';
      manifest['bpdbjobsColumns'] = ['jobid', 'jobtype', 'state'];
      manifest['files'] = [{ name: 'bpdbjobs_most_columns.csv', sha256: 'AB'.repeat(32) }, { name: 'bpimagelist_l.txt' }];
    });
    const manifest = parseManifest(`\ufeff${text}`);
    assert.deepEqual(manifest.bpdbjobsColumns, ['jobid', 'jobtype', 'state']);
    assert.equal(manifest.files[0]!.sha256, 'ab'.repeat(32));
    assert.equal(manifest.files[1]!.sha256, undefined);
    assert.equal('exporterBuild' in manifest, false);
  });

  it('names every bad field in one MANIFEST_INVALID error', () => {
    const error = manifestError(
      variant((manifest) => {
        delete manifest['masterServer'];
        manifest['formatVersion'] = 2;
        manifest['timezone'] = 'Mars/Olympus_Mons';
        (manifest['window'] as Record<string, unknown>)['from'] = '2023-01-12 03:00';
        (manifest['files'] as Record<string, unknown>[])[2]!['sha256'] = 'abc';
      }),
    );
    assert.equal(error.code, 'MANIFEST_INVALID');
    assert.equal(error.expose, true);
    assert.equal(error.transient, false);
    for (const field of ['formatVersion', 'masterServer', 'timezone', 'window.from', 'files.2.sha256']) {
      assert.ok(error.message.includes(`"${field}"`), `${field} in: ${error.message}`);
    }
    assert.match(error.message, /"masterServer" is missing/);
    assert.match(error.message, /"formatVersion" must be 1/);
    const problems = (error.details as { problems: { field: string }[] }).problems;
    assert.equal(problems.length, 5);
  });

  it('rejects a window that ends before it starts, duplicate files and unusable column lists', () => {
    assert.match(
      manifestError(
        variant((m) => {
          m['window'] = { from: '2023-01-13T03:00:00Z', to: '2023-01-12T03:00:00Z' };
        }),
      ).message,
      /"window" "from" must not be after "to"/,
    );
    assert.match(
      manifestError(
        variant((m) => {
          m['files'] = [{ name: 'a.csv' }, { name: 'dir/A.CSV' }];
        }),
      ).message,
      /"files.1.name" "dir\/A.CSV" is listed twice/,
    );
    assert.match(
      manifestError(
        variant((m) => {
          m['bpdbjobsColumns'] = ['jobid', 'policy'];
        }),
      ).message,
      /"bpdbjobsColumns" must include "state"/,
    );
    assert.match(
      manifestError(
        variant((m) => {
          m['bpdbjobsColumns'] = ['jobid', 'state', 'JobId'];
        }),
      ).message,
      /listed twice/,
    );
    assert.match(
      manifestError(
        variant((m) => {
          m['format'] = 'other';
        }),
      ).message,
      /"format" must be "veritas2hview"/,
    );
  });

  it('rejects text that is not a JSON object', () => {
    assert.match(manifestError('{"format": ').message, /manifest.json is not valid JSON/);
    assert.match(manifestError('[1, 2]').message, /must be a JSON object/);
  });

  it('checks a file digest against the manifest', () => {
    const manifest = parseManifest(fixtureText);
    const good = '218c85b24476711f0188b7642d999b64d956e593e1cd396a22ea3ada1c2fa889';
    assert.equal(checkManifestDigest({ manifest, fileName: 'bpdbjobs_most_columns.csv', actualSha256: good.toUpperCase() }), null);
    assert.equal(checkManifestDigest({ manifest, fileName: 'readme.txt', actualSha256: good }), null);
    const mismatch = checkManifestDigest({ manifest, fileName: 'top/bpdbjobs_most_columns.csv', actualSha256: 'f'.repeat(64) });
    assert.equal(mismatch?.code, 'MANIFEST_DIGEST_MISMATCH');
    assert.equal(mismatch?.expose, true);
    assert.deepEqual(mismatch?.details, { file: 'bpdbjobs_most_columns.csv', expected: good, actual: 'f'.repeat(64) });
  });
});
