import assert from 'node:assert/strict';
import { BPDBJOBS_COLUMNS } from '../../../../src/modules/hydrastor/veritas2hview/bpdbjobs-columns.js';
import { JOB_STATE, type BpdbjobsRecord } from '../../../../src/modules/hydrastor/veritas2hview/bpdbjobs-record.js';
import {
  generateBpdbjobsChunks,
  generateBpdbjobsRecords,
  GENERATED_HYDRASTOR_STORAGE_UNIT,
} from '../../../../src/modules/hydrastor/veritas2hview/generate-bpdbjobs.js';
import { parseBpdbjobs, type ParseBpdbjobsOptions } from '../../../../src/modules/hydrastor/veritas2hview/parse-bpdbjobs.js';
import { MAX_BPDBJOBS_FIELDS } from '../../../../src/modules/hydrastor/veritas2hview/bpdbjobs-fields.js';
import type { ParseIssue } from '../../../../src/modules/parse-issue.js';
import { isIngestError } from '../../../../src/core/ingest-error.js';
import { chunksOf } from './support/read-archive-entries.js';

/** The small fixture's first job, as bpdbjobs writes it (62 fields, an escaped comma in field 17). */
const DONE_JOB =
  '4711,0,3,0,SQL_Prod,Daily_Incr,fs13.acme.local,nbumedia01.acme.local,1673492400,0000000635,1673493035,' +
  'stu_hydra_icecream_machine,1,,8774710,174623,C:\\Data\\Reports\\Q1\\, final.xlsx,100,49807,root,1,13,1,0,root,' +
  'nbumaster01.acme.local,3,30,0,,,1,1,4711,106618,1,,,,,,,,,,1,1,0,0,1,0,fs13.acme.local_1673492401,1,,,,,,,,,';
/** A running job from the fixture: state 1, empty status, ended 0. */
const RUNNING_JOB =
  '4735,0,1,,FS_Windows_Prod,Daily_Incr,fs24.acme.local,nbumedia01.acme.local,1673492568,0000002730,0,' +
  'stu_hydra_icecream_machine,1,3,67441131,205468,/srv/data/a\\,b.log,25,22206,root,1,13,1,0,root,' +
  'nbumaster01.acme.local,3,30,0,,,1,1,4735,3210,1,,,,,,,,,,1,1,0,0,1,0,fs24.acme.local_1673492569,1,,,,,,,,,';

interface Parsed {
  records: BpdbjobsRecord[];
  issues: ParseIssue[];
  batches: number;
  linesRead: number;
}

async function parseAll(input: string | Buffer | Iterable<Buffer | string>, options: ParseBpdbjobsOptions = {}): Promise<Parsed> {
  const source = typeof input === 'string' ? [input] : Buffer.isBuffer(input) ? [input] : input;
  const result: Parsed = { records: [], issues: [], batches: 0, linesRead: 0 };
  for await (const batch of parseBpdbjobs(source, options)) {
    result.records.push(...batch.records);
    result.issues.push(...batch.issues);
    result.batches += 1;
    result.linesRead = batch.linesRead;
  }
  return result;
}

function replaceField(line: string, position: number, value: string): string {
  const fields = line.split(/(?<!\\),/);
  fields[position - 1] = value;
  return fields.join(',');
}

describe('parseBpdbjobs', () => {
  it('types a finished job, unescaping \\, and turning epoch seconds into dates', async () => {
    const { records, issues } = await parseAll(`${DONE_JOB}\n`);
    assert.deepEqual(issues, []);
    assert.equal(records.length, 1);
    const job = records[0]!;
    assert.equal(job.line, 1);
    assert.equal(job.jobId, 4711);
    assert.equal(job.state, JOB_STATE.done);
    assert.equal(job.status, 0);
    assert.equal(job.policy, 'SQL_Prod');
    assert.equal(job.schedule, 'Daily_Incr');
    assert.equal(job.client, 'fs13.acme.local');
    assert.equal(job.mediaServer, 'nbumedia01.acme.local');
    assert.deepEqual(job.startedAt, new Date(1_673_492_400_000));
    assert.equal(job.elapsedSeconds, 635);
    assert.deepEqual(job.endedAt, new Date(1_673_493_035_000));
    assert.equal(job.storageUnit, 'stu_hydra_icecream_machine');
    assert.equal(job.operation, null);
    assert.equal(job.kilobytes, 8_774_710);
    assert.equal(job.files, 174_623);
    assert.equal(job.pathLastWritten, 'C:\\Data\\Reports\\Q1, final.xlsx');
    assert.equal(job.percentComplete, 100);
    assert.equal(job.masterServer, 'nbumaster01.acme.local');
    assert.equal(job.parentJobId, 4711);
    assert.equal(job.backupId, 'fs13.acme.local_1673492401');
    assert.equal(job.dedupRatio, null);
    assert.equal(job.extra, null, 'empty trailing fields are not kept');
  });

  it('keeps a running job: ended 0 and empty status become null', async () => {
    const { records, issues } = await parseAll(`${RUNNING_JOB}\n`);
    assert.deepEqual(issues, []);
    const job = records[0]!;
    assert.equal(job.state, JOB_STATE.active);
    assert.equal(job.status, null);
    assert.equal(job.endedAt, null);
    assert.deepEqual(job.startedAt, new Date(1_673_492_568_000));
    assert.equal(job.percentComplete, 25);
    assert.equal(job.pathLastWritten, '/srv/data/a,b.log');
  });

  it('keeps non-empty extra trailing fields by position', async () => {
    // The fixture's fields 60–62 are empty: fill field 61, leave 62 empty, append 63 and 64.
    const line = `${DONE_JOB.slice(0, -1)}7,,x\\,y,z`;
    const { records, issues } = await parseAll(`${line}\n`);
    assert.deepEqual(issues, []);
    assert.equal(records[0]!.accelerator, null);
    assert.deepEqual({ ...records[0]!.extra }, { field61: '7', field63: 'x,y', field64: 'z' });
  });

  it('reads dedupratio and accelerator (fields 58 and 59) when present', async () => {
    const line = replaceField(replaceField(DONE_JOB, 58, '87.5'), 59, '1');
    const { records } = await parseAll(line);
    assert.equal(records[0]!.dedupRatio, 87.5);
    assert.equal(records[0]!.accelerator, 1);
  });

  it('joins a continuation line (embedded newline) to the record before it', async () => {
    const [first, second] = DONE_JOB.split('C:\\Data');
    const text = `${first}C:\\Data\n\\more${second}\n${RUNNING_JOB}\n`;
    const { records, issues, linesRead } = await parseAll(text);
    assert.deepEqual(issues, []);
    assert.equal(records.length, 2);
    assert.equal(records[0]!.pathLastWritten, 'C:\\Data\n\\more\\Reports\\Q1, final.xlsx');
    assert.equal(records[0]!.kilobytes, 8_774_710);
    assert.equal(records[1]!.line, 3, 'line numbers count physical lines');
    assert.equal(linesRead, 3);
  });

  it('parses CRLF input exactly like LF input', async () => {
    const lf = await parseAll(`${DONE_JOB}\n${RUNNING_JOB}\n`);
    const crlf = await parseAll(`${DONE_JOB}\r\n${RUNNING_JOB}\r\n`);
    assert.deepEqual(crlf, lf);
    assert.equal(crlf.records[1]!.extra, null, 'no stray \\r in the last field');
  });

  it('accepts a last line without newline, a BOM and blank lines', async () => {
    const { records, issues } = await parseAll(`\ufeff${DONE_JOB}\n\n${RUNNING_JOB}`);
    assert.deepEqual(issues, []);
    assert.deepEqual(
      records.map((job) => job.jobId),
      [4711, 4735],
    );
  });

  it('gives the same records whatever the chunking, even inside a multi-byte character', async () => {
    const text = `${replaceField(DONE_JOB, 5, 'Prodüction_日本')}\n${RUNNING_JOB}\n`;
    const whole = await parseAll(text);
    assert.equal(whole.records[0]!.policy, 'Prodüction_日本');
    for (const size of [1, 2, 3, 5, 64]) {
      const chunked = await parseAll(chunksOf(Buffer.from(text, 'utf8'), size));
      assert.deepEqual(chunked.records, whole.records, `chunks of ${size} bytes`);
    }
  });

  it('uses the manifest column order when it is given', async () => {
    const order = [...BPDBJOBS_COLUMNS].reverse();
    const fields = DONE_JOB.split(/(?<!\\),/).slice(0, BPDBJOBS_COLUMNS.length);
    const reordered = [...fields].reverse().join(',');
    const expected = await parseAll(DONE_JOB);
    const { records, issues } = await parseAll(reordered, { columns: order });
    assert.deepEqual(issues, []);
    const { line: _line, ...rest } = records[0]!;
    const { line: _expectedLine, extra: _extra, ...expectedRest } = expected.records[0]!;
    assert.deepEqual({ ...rest, extra: null }, { ...expectedRest, extra: null });
    assert.equal(records[0]!.jobId, 4711);
  });

  it('keeps manifest columns it does not know under their manifest name', async () => {
    const columns = ['JobID', 'job_type', 'State', 'status', 'policy', 'futureColumn'];
    const { records, issues } = await parseAll('12,0,3,0,Pol,hello\n13,0,1,,Pol2,\n', { columns });
    assert.deepEqual(issues, []);
    assert.deepEqual(
      records.map((job) => [job.jobId, job.state, job.policy, job.extra === null ? null : { ...job.extra }]),
      [
        [12, 3, 'Pol', { futureColumn: 'hello' }],
        [13, 1, 'Pol2', null],
      ],
    );
    assert.equal(records[0]!.storageUnit, null, 'columns the manifest leaves out are null');
  });

  it('treats every line as a record when the manifest does not put jobid first', async () => {
    const { records, issues } = await parseAll('3,12,0\nx,13,0\n', { columns: ['state', 'jobid', 'status'] });
    assert.equal(records.length, 1);
    assert.equal(records[0]!.jobId, 12);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.line, 2);
  });

  it('rejects an unusable manifest column list before reading', async () => {
    await assert.rejects(parseAll(DONE_JOB, { columns: ['policy', 'state'] }), (error: unknown) => {
      assert.ok(isIngestError(error));
      assert.equal(error.code, 'MANIFEST_INVALID');
      assert.match(error.message, /bpdbjobsColumns.*jobid/);
      return true;
    });
  });

  it('reports bad lines with their line number and keeps going', async () => {
    const badState = replaceField(RUNNING_JOB, 3, '9');
    const badNumber = replaceField(DONE_JOB, 15, '12kb');
    const text = ['orphan continuation', DONE_JOB, badState, '4800,0,3,0,cut,off', badNumber, RUNNING_JOB].join('\n');
    const { records, issues } = await parseAll(text);
    assert.deepEqual(
      records.map((job) => job.jobId),
      [4711, 4711, 4735],
    );
    assert.equal(records[1]!.kilobytes, null);
    assert.deepEqual(
      issues.map((issue) => [issue.line, issue.severity]),
      [
        [1, 'error'],
        [3, 'error'],
        [4, 'error'],
        [5, 'warning'],
      ],
    );
    assert.match(issues[0]!.message, /does not start with a job id/);
    assert.match(issues[1]!.message, /state "9"/);
    assert.match(issues[2]!.message, /6 fields/);
    assert.match(issues[3]!.message, /kbytes/);
    assert.ok(issues.every((issue) => issue.file === 'bpdbjobs_most_columns.csv'));
  });

  it('drops a record with absurdly many fields', async () => {
    const { records, issues } = await parseAll(`${DONE_JOB}${','.repeat(MAX_BPDBJOBS_FIELDS)}\n${RUNNING_JOB}\n`);
    assert.deepEqual(
      records.map((job) => job.jobId),
      [4735],
    );
    assert.match(issues[0]!.message, new RegExp(`more than ${MAX_BPDBJOBS_FIELDS} fields`));
  });

  it('drops a record whose continuation lines run away, and resumes at the next job', async () => {
    const runaway = [DONE_JOB, ...Array.from({ length: 50 }, () => 'x'.repeat(100)), RUNNING_JOB].join('\n');
    const { records, issues } = await parseAll(runaway, { maxRecordChars: 2000 });
    assert.deepEqual(
      records.map((job) => job.jobId),
      [4735],
    );
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.line, 1);
    assert.match(issues[0]!.message, /more than 2000 characters/);
  });

  it('lists at most maxListedIssues issues, then counts the rest', async () => {
    const text = Array.from({ length: 30 }, () => 'junk').join('\n');
    const { issues } = await parseAll(text, { maxListedIssues: 10 });
    assert.equal(issues.length, 11);
    assert.equal(issues[10]!.message, '20 more issues not listed');
  });

  it('yields batches of at most batchRecords records and a final batch for an empty input', async () => {
    const generated = [...generateBpdbjobsRecords({ seed: 1, jobs: 25 })].join('');
    const batchSizes: number[] = [];
    for await (const batch of parseBpdbjobs([generated], { batchRecords: 10 })) batchSizes.push(batch.records.length);
    assert.deepEqual(batchSizes, [10, 10, 5]);
    const empty = await parseAll('');
    assert.deepEqual(empty, { records: [], issues: [], batches: 1, linesRead: 0 });
  });

  it('streams 200,000 generated jobs with escapes, continuations and CRLF', async () => {
    const jobs = 200_000;
    let records = 0;
    let running = 0;
    let hydrastor = 0;
    let multiLine = 0;
    const issues: ParseIssue[] = [];
    let lastJobId = 0;
    const source = generateBpdbjobsChunks({ seed: 7, jobs, embeddedNewlineEvery: 1000, lineEnding: '\r\n' });
    for await (const batch of parseBpdbjobs(source)) {
      for (const job of batch.records) {
        records += 1;
        if (job.state === JOB_STATE.active) running += 1;
        if (job.storageUnit === GENERATED_HYDRASTOR_STORAGE_UNIT) hydrastor += 1;
        if (job.pathLastWritten?.includes('\n') === true) multiLine += 1;
        assert.ok(job.jobId > lastJobId);
        lastJobId = job.jobId;
      }
      issues.push(...batch.issues);
    }
    assert.deepEqual(issues, []);
    assert.equal(records, jobs);
    assert.equal(running, jobs / 25);
    assert.equal(hydrastor, jobs / 2);
    assert.equal(multiLine, jobs / 1000);
  });
});
