import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { IngestProgress, formatBytes, type ProgressOutput } from '../../src/cli/ingest-progress.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { makeDataRoot } from '../support/test-config.js';
import { runCli } from '../support/run-cli.js';

function recorder(isTTY: boolean, columns?: number): ProgressOutput & { text: string } {
  return {
    isTTY,
    ...(columns === undefined ? {} : { columns }),
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

describe('ingest --wait progress (src/cli/ingest-progress.ts)', function () {
  this.timeout(120_000);

  it('writes a plain line per status or phase change when not a terminal, never per counter tick', () => {
    const output = recorder(false);
    const progress = new IngestProgress(output);
    progress.staging(0);
    progress.staging(512);
    progress.staging(3 * 1024 * 1024);
    progress.job({ id: 'j1', status: 'queued' });
    progress.job({ id: 'j1', status: 'queued' });
    progress.job({ id: 'j1', status: 'running', progress: { phase: 'jobs', jobsRead: 10 } });
    progress.job({ id: 'j1', status: 'running', progress: { phase: 'jobs', jobsRead: 20 } });
    progress.job({ id: 'j1', status: 'running', progress: { phase: 'images', imagesRead: 5 } });
    progress.job({ id: 'j1', status: 'succeeded', stats: { veritas_jobs: 20, veritas_images: 5 } });
    progress.end();
    assert.deepEqual(output.text.split('\n'), [
      'ingest: staging, 0 B staged',
      'ingest: job j1 queued, 3.0 MiB staged',
      'ingest: job j1 running (phase jobs, jobsRead 10), 3.0 MiB staged',
      'ingest: job j1 running (phase images, imagesRead 5), 3.0 MiB staged',
      'ingest: job j1 succeeded, 3.0 MiB staged, 25 rows loaded',
      '',
    ]);
  });

  it('redraws one line on a terminal, at most every 100 ms while staging, cut to its width, ended by a newline', () => {
    let now = 0;
    const output = recorder(true, 60);
    const progress = new IngestProgress(output, { now: () => now });
    progress.staging(0);
    now = 50;
    progress.staging(1000);
    now = 150;
    progress.staging(2048);
    progress.job({ id: '3f0e2b9c-1d4a-4c6e-8f7b-2a9d0c1e5b6f', status: 'running', progress: { phase: 'jobs', jobsRead: 123456 } });
    progress.end();
    progress.end();
    const frames = output.text.split('\r\u001b[2K');
    assert.deepEqual(frames.slice(0, 2), ['ingest: staging, 0 B staged', 'ingest: staging, 2.0 KiB staged']);
    assert.equal(frames.length, 4, 'the 50 ms update was skipped; the job and the end are drawn');
    assert.ok(frames.every((frame) => frame.replace('\n', '').length <= 59));
    assert.ok(output.text.endsWith('\n') && !output.text.endsWith('\n\n'));
  });

  it('formats sizes in binary units', () => {
    assert.deepEqual([0, 1023, 1024, 1536, 5 * 1024 ** 3].map(formatBytes), ['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 GiB']);
  });

  describe('the real command, its stderr a pipe', () => {
    let database: TestDatabase;
    let dataRoot: string;
    before(async () => {
      database = await createTestDatabase();
      dataRoot = await makeDataRoot();
    });
    after(async () => {
      await database?.drop();
      await rm(dataRoot, { recursive: true, force: true });
    });

    it('prints plain progress lines on stderr and only the job on stdout', async () => {
      const env = { DATABASE_URL: database.url, DP_DATA_ROOT: dataRoot };
      assert.equal((await runCli(['customer', 'add', 'bobs_burgers'], env)).code, 0);
      const eml = fileURLToPath(new URL('../fixtures/email/alert_disk_failure.eml', import.meta.url));
      const result = await runCli(['ingest', eml, '--customer', 'bobs_burgers', '--wait'], env);
      assert.equal(result.code, 0, result.stderr);
      const job = JSON.parse(result.stdout) as { id: string; status: string; stats: Record<string, number> };
      assert.equal(job.status, 'succeeded');
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines[0], 'ingest: staging, 0 B staged');
      assert.match(lines[1]!, new RegExp(`^ingest: job ${job.id} queued, \\d+\\.\\d KiB staged$`));
      const rows = Object.values(job.stats).reduce((sum, count) => sum + count, 0);
      assert.ok(rows > 0);
      assert.match(lines.at(-1)!, new RegExp(`^ingest: job ${job.id} succeeded, \\d+\\.\\d KiB staged, ${rows} rows loaded$`));
      assert.ok(
        lines.every((line) => line.startsWith('ingest: ')),
        result.stderr,
      );
    });
  });
});
