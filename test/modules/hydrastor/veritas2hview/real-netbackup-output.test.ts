import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { BpdbjobsRecord } from '../../../../src/modules/hydrastor/veritas2hview/bpdbjobs-record.js';
import type { BpimagelistImage } from '../../../../src/modules/hydrastor/veritas2hview/bpimagelist-image.js';
import { parseBpdbjobs } from '../../../../src/modules/hydrastor/veritas2hview/parse-bpdbjobs.js';
import { parseBpimagelist } from '../../../../src/modules/hydrastor/veritas2hview/parse-bpimagelist.js';
import { parseDiskPools } from '../../../../src/modules/hydrastor/veritas2hview/parse-disk-pools.js';
import { parseDiskVolumes } from '../../../../src/modules/hydrastor/veritas2hview/parse-disk-volumes.js';
import type { ParseIssue } from '../../../../src/modules/parse-issue.js';
import { parseStorageServers } from '../../../../src/modules/hydrastor/veritas2hview/parse-storage-servers.js';
import { parseStorageUnits } from '../../../../src/modules/hydrastor/veritas2hview/parse-storage-units.js';
import { decodeText } from '../../../../src/modules/hydrastor/veritas2hview/text-encoding.js';
import { IngestError } from '../../../../src/core/ingest-error.js';
import { chunksOf } from './support/read-archive-entries.js';

/** Fixtures of formats spec §3 "Also seen in real NetBackup output"; see their README for each shape's source. */
function fixture(name: string): string {
  return readFileSync(new URL(`../../../fixtures/netbackup-real/${name}`, import.meta.url), 'utf8');
}

async function jobsOf(input: Buffer | string, chunkBytes = 65_536): Promise<{ records: BpdbjobsRecord[]; issues: ParseIssue[] }> {
  const records: BpdbjobsRecord[] = [];
  const issues: ParseIssue[] = [];
  const buffer = Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8');
  for await (const batch of parseBpdbjobs(chunksOf(buffer, chunkBytes))) {
    records.push(...batch.records);
    issues.push(...batch.issues);
  }
  return { records, issues };
}

async function imagesOf(text: string): Promise<{ images: BpimagelistImage[]; issues: ParseIssue[] }> {
  const images: BpimagelistImage[] = [];
  const issues: ParseIssue[] = [];
  for await (const batch of parseBpimagelist([Buffer.from(text, 'utf8')])) {
    images.push(...batch.images);
    issues.push(...batch.issues);
  }
  return { images, issues };
}

function allColumnsError(error: unknown): boolean {
  assert.ok(error instanceof IngestError, String(error));
  assert.equal(error.code, 'BPDBJOBS_ALL_COLUMNS');
  assert.equal(error.transient, false);
  assert.equal(error.expose, true);
  assert.match(error.message, /bpdbjobs_most_columns\.csv line \d+/, 'names the file and the line');
  assert.match(error.message, /-all_columns/, 'names the option it was exported with');
  assert.match(error.message, /export with `bpdbjobs -report -most_columns`/i, 'says what to do');
  return true;
}

describe('real NetBackup output (formats spec §3 "Also seen in real NetBackup output")', () => {
  describe('blank and fractional values in bpdbjobs', () => {
    it('stores a blank (single space) number as null, not 0, without an issue', async () => {
      const { records } = await jobsOf(fixture('bpdbjobs_blank_fractional.csv'));
      const [first, second] = records;
      assert.equal(first?.compression, null, 'field 29 is a single space');
      assert.equal(second?.elapsedSeconds, null, 'field 10 is a single space');
      assert.equal(second?.files, null, 'field 16 is a single space');
      assert.equal(first?.extra?.['compression'], undefined, 'a blank is not kept as a raw value');
    });

    it('keeps a value that does not fit its column raw in extra, null in the column, with an issue naming job, field and raw text', async () => {
      const { records, issues } = await jobsOf(fixture('bpdbjobs_blank_fractional.csv'));
      const [first, second] = records;
      assert.equal(first?.percentComplete, null, '58.799999 does not fit the integer column');
      assert.equal(first?.extra?.['percent'], '58.799999');
      assert.equal(first?.kilobytesPerSecond, 106618.25, 'a fraction in a numeric column is a value like any other');
      assert.equal(second?.kilobytes, null);
      assert.equal(second?.extra?.['kbytes'], '8774710.5');
      assert.deepEqual(
        issues.map((issue) => [issue.file, issue.line, issue.raw]),
        [
          ['bpdbjobs_most_columns.csv', 1, '58.799999'],
          ['bpdbjobs_most_columns.csv', 2, '8774710.5'],
        ],
      );
      assert.match(issues[0]!.message, /^job 5001: percent "58\.799999" is not an integer; stored as null, kept raw in extra$/);
      assert.match(issues[1]!.message, /^job 5002: kbytes "8774710\.5" is not a whole, non-negative number of KiB/);
    });

    it('does not take hexadecimal, exponents or Infinity as numbers', async () => {
      const line = fixture('bpdbjobs_blank_fractional.csv').split('\n')[0]!.replace(',root,1,13,1,0,root,', ',root,0x1f,1e3,Infinity,0,root,');
      const { records, issues } = await jobsOf(`${line}\n`);
      assert.deepEqual([records[0]?.subtype, records[0]?.policyType, records[0]?.scheduleType], [null, null, null]);
      assert.deepEqual(
        issues.map((issue) => issue.raw).filter((raw) => raw !== '58.799999'),
        ['0x1f', '1e3', 'Infinity'],
      );
    });
  });

  describe('-all_columns instead of -most_columns', () => {
    it('fails, naming file, line and option, on a record whose file list shifts the later fields', async () => {
      await assert.rejects(jobsOf(fixture('bpdbjobs_all_columns.csv')), (error: unknown) => {
        allColumnsError(error);
        assert.match((error as Error).message, /line 1 \(job 5101\)/);
        assert.match((error as Error).message, /trycount.*"\/etc".*file list of 2/);
        return true;
      });
    });

    it('fails on a record whose tries shift the later fields even with an empty file list', async () => {
      await assert.rejects(jobsOf(fixture('bpdbjobs_all_columns_tries.csv')), (error: unknown) => {
        allColumnsError(error);
        assert.match((error as Error).message, /line 2 \(job 5102\)/, 'the queued job before it has no lists and reads the same in both layouts');
        assert.match((error as Error).message, /kbpersec.*stu_hydra_icecream_machine.*1 try/);
        return true;
      });
    });

    it('reads -most_columns records whose file list and try counts are positive (the lists are not there)', async () => {
      const line = fixture('bpdbjobs_blank_fractional.csv').split('\n')[0]!;
      const { records } = await jobsOf(`${line}\n`);
      assert.equal(records[0]?.fileListCount, 1);
      assert.equal(records[0]?.tryCount, 1);
      assert.equal(records[0]?.parentJobId, 5001);
    });
  });

  describe('encodings', () => {
    const text = fixture('bpdbjobs_blank_fractional.csv');

    it('strips a UTF-8 byte-order mark: it never becomes part of the first job id', async () => {
      const { records, issues } = await jobsOf(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));
      assert.deepEqual(
        records.map((job) => job.jobId),
        [5001, 5002],
      );
      assert.ok(issues.every((issue) => !/job id/.test(issue.message)));
    });

    for (const [name, bytes] of [
      ['UTF-16 LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
      ['UTF-16 LE without BOM', Buffer.from(text, 'utf16le')],
      ['UTF-16 BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])],
    ] as const) {
      it(`decodes ${name} (Windows), whatever the chunking`, async () => {
        for (const chunkBytes of [65_536, 7]) {
          const { records } = await jobsOf(bytes, chunkBytes);
          assert.deepEqual(
            records.map((job) => job.jobId),
            [5001, 5002],
            `chunks of ${chunkBytes}`,
          );
          assert.equal(records[0]?.policy, 'SQL_Prod');
          assert.equal(records[0]?.pathLastWritten, 'C:\\Data\\Reports\\Q1, final.xlsx', 'the escaped comma read as a comma');
        }
      });
    }

    it('decodes small files (listings, manifest) in the same encodings', () => {
      const listing = fixture('nbdevquery_listdp_U_no_server.txt');
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(listing, 'utf16le')]);
      assert.equal(decodeText(utf16), listing);
      assert.equal(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(listing)])), listing);
      const pools = parseDiskPools(decodeText(utf16));
      assert.deepEqual(
        pools.diskPools.map((pool) => pool.name),
        ['dp_hydra_icecream_machine', 'dp_snapshots'],
      );
    });
  });

  describe('nbdevquery and bpstulist without -U', () => {
    for (const [name, parse, command] of [
      ['nbdevquery_listdp_no_U.txt', (text: string) => parseDiskPools(text).diskPools.length, 'nbdevquery -listdp'],
      ['nbdevquery_liststs_no_U.txt', (text: string) => parseStorageServers(text).storageServers.length, 'nbdevquery -liststs'],
      ['bpstulist_no_U.txt', (text: string) => parseStorageUnits(text).storageUnits.length, 'bpstulist'],
    ] as const) {
      it(`reports ${name} once, with what to do, and reads no records from it`, () => {
        assert.equal(parse(fixture(name)), 0);
        const issues = name.startsWith('bpstulist')
          ? parseStorageUnits(fixture(name)).issues
          : name.includes('liststs')
            ? parseStorageServers(fixture(name)).issues
            : parseDiskPools(fixture(name)).issues;
        assert.equal(issues.length, 1, 'one issue per file, not one per line');
        assert.equal(issues[0]?.line, 1);
        assert.equal(issues[0]?.raw, fixture(name).split('\n')[0]);
        assert.ok(issues[0]?.message.includes(`${command} output without -U`), issues[0]?.message);
        assert.ok(issues[0]?.message.includes(`export with \`${command} -U\``), issues[0]?.message);
      });
    }

    it('still reads -U output with a stray line as records', () => {
      const { diskVolumes, issues } = parseDiskVolumes('Disk Pool Name : dp\nDisk Volume Name : lsu\nwrapped text\n');
      assert.equal(diskVolumes.length, 1);
      assert.equal(issues.length, 1);
    });
  });

  describe('listing values', () => {
    it('keeps a disk pool without a Storage Server line, with no server', () => {
      const { diskPools, issues } = parseDiskPools(fixture('nbdevquery_listdp_U_no_server.txt'));
      assert.deepEqual(issues, []);
      const pool = diskPools.find((candidate) => candidate.name === 'dp_snapshots');
      assert.ok(pool !== undefined, 'the pool is kept');
      assert.equal(pool.storageServer, null);
      assert.deepEqual(pool.storageServers, []);
    });

    it('reports a fractional percentage in an integer field instead of cutting it to its leading digits', () => {
      const listing = 'Disk Pool Name : dp\nDisk Volume Name : lsu\nUse% : 58.799999\nNum Read Mounts : 2\n';
      const { diskVolumes, issues } = parseDiskVolumes(listing);
      assert.equal(diskVolumes[0]?.usedPercent, null);
      assert.equal(diskVolumes[0]?.readMounts, 2);
      assert.deepEqual(
        issues.map((issue) => [issue.line, issue.raw]),
        [[1, '58.799999']],
      );
      assert.match(issues[0]!.message, /Use%: "58\.799999" is not an integer; stored as null, kept raw in attributes/);
    });
  });

  describe('bpimagelist -l', () => {
    it('does not validate HISTO, keeps a FRAG whose field 9 is a path, and reads expiration 2147483647 as infinity', async () => {
      const { images, issues } = await imagesOf(fixture('bpimagelist_l_real.txt'));
      assert.deepEqual(issues, [], 'zeros in HISTO and a path in FRAG field 9 are not issues');
      assert.deepEqual(
        images.map((image) => image.backupId),
        ['fs13.acme.local_1673492401', 'vm42.acme.local_1673492500'],
      );
      assert.equal(images[0]?.expiresAt?.getTime(), 8.64e15, 'infinity: the largest Date, written as PostgreSQL infinity');
      assert.equal(images[0]?.fragments[0]?.expiresAt?.getTime(), 8.64e15);
      assert.equal(images[1]?.fragments[0]?.mediaId, '/shares/nbu_snap/vm42.acme.local_1673492500');
      assert.deepEqual(images[1]?.expiresAt, new Date(1_673_578_900_000), 'other expirations are times');
    });

    it('keeps a fractional value of an IMAGE or FRAG line raw in the image extra, with an issue', async () => {
      const text = fixture('bpimagelist_l_real.txt')
        .replace(' 1673492401 635 ', ' 1673492401 635.5 ')
        .replace('FRAG 1 1 8774710 0 0 0 0 @aaaab', 'FRAG 1 1 8774710 0 0 0 1.5 @aaaab');
      const { images, issues } = await imagesOf(text);
      assert.equal(images[0]?.elapsedSeconds, null);
      assert.equal(images[0]?.fragments[0]?.fileNumber, null);
      assert.deepEqual({ ...images[0]?.extra }, { field15: '635.5', frag_1_1_field8: '1.5' });
      assert.deepEqual(
        issues.map((issue) => [issue.line, issue.raw]),
        [
          [1, '635.5'],
          [3, '1.5'],
        ],
      );
    });
  });
});
