import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { consoleFormat } from '../../src/logging/console-format.js';
import { Logging } from '../../src/logging/logging.js';

/** The `line` field of every JSON line of a log file, in file order. */
async function lineNumbers(file: string): Promise<number[]> {
  const text = (await readFile(file, 'utf8')).trim();
  return text === '' ? [] : text.split('\n').map((line) => (JSON.parse(line) as { line: number }).line);
}

describe('logging', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dp-log-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates each file at its size limit, keeps the live name and only the configured number of rotated files', async () => {
    const logging = new Logging({ logDir: dir, level: 'info', console: false, rotation: { maxBytes: 2048, maxFiles: 3 } });
    const logger = logging.for('rotation');
    // About 180 bytes a line: 200 lines are about 17 limits' worth, far more than 3 + 1 files hold.
    for (let line = 0; line < 200; line += 1) logger.info('a line long enough to fill the small limit quickly', { line, pad: 'x'.repeat(20) });
    await logging.close();

    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, ['dataprocessor_rotation.log', 'dataprocessor_rotation1.log', 'dataprocessor_rotation2.log', 'dataprocessor_rotation3.log']);
    for (const file of files) assert.ok((await stat(path.join(dir, file))).size <= 2048, `${file} is within the limit`);
    const [live, first, second, third] = await Promise.all(files.map((file) => lineNumbers(path.join(dir, file))));
    assert.equal(live?.at(-1), 199, 'the live file keeps its name and has the newest line');
    // Consecutive, newest in the live file, then 1, 2, 3: nothing lost between the files kept.
    assert.deepEqual(
      [...(third ?? []), ...(second ?? []), ...(first ?? []), ...(live ?? [])],
      Array.from({ length: 200 - (third?.[0] ?? 0) }, (_, index) => (third?.[0] ?? 0) + index),
    );
    assert.ok((third?.[0] ?? 0) > 0, 'the oldest lines were dropped');
  });

  it('finds its files again after a restart and keeps rotating by name', async () => {
    const rotation = { maxBytes: 1024, maxFiles: 2 };
    for (let run = 0; run < 3; run += 1) {
      const logging = new Logging({ logDir: dir, level: 'info', console: false, rotation });
      for (let line = 0; line < 40; line += 1) logging.for('restart').info('line', { run, line, pad: 'y'.repeat(40) });
      await logging.close();
    }
    assert.deepEqual((await readdir(dir)).sort(), ['dataprocessor_restart.log', 'dataprocessor_restart1.log', 'dataprocessor_restart2.log']);
  });

  it('two writers of one file (the mailhandler runs per message) rotate once each time and lose no line', async () => {
    const rotation = { maxBytes: 1500, maxFiles: 50 };
    const writers = [
      new Logging({ logDir: dir, level: 'info', console: false, rotation }),
      new Logging({ logDir: dir, level: 'info', console: false, rotation }),
    ];
    for (let line = 0; line < 300; line += 1) writers[line % 2]?.for('shared').info('line', { line, pad: 'z'.repeat(30) });
    await Promise.all(writers.map((writer) => writer.close()));
    const files = await readdir(dir);
    const all = (await Promise.all(files.map((file) => lineNumbers(path.join(dir, file))))).flat().sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: 300 }, (_, index) => index),
    );
    for (const file of files) assert.ok((await stat(path.join(dir, file))).size <= 1500, `${file} is within the limit`);
  });

  it('writes JSON lines to stdout by default and one readable line each with the text format', () => {
    const render = (kind: 'json' | 'text'): string => {
      let out = '';
      const stream = new Writable({
        write(chunk: Buffer, _encoding, done) {
          out += chunk.toString();
          done();
        },
      });
      const logger = winston.createLogger({
        defaultMeta: { component: 'worker' },
        format: winston.format.combine(winston.format.timestamp({ format: () => '2026-12-03T12:00:00.000Z' }), winston.format.errors({ stack: true })),
        transports: [new winston.transports.Stream({ stream, format: consoleFormat(kind) })],
      });
      logger.info('job finished', { jobId: 'j1' });
      return out;
    };
    assert.deepEqual(JSON.parse(render('json')), {
      component: 'worker',
      jobId: 'j1',
      level: 'info',
      message: 'job finished',
      timestamp: '2026-12-03T12:00:00.000Z',
    });
    assert.equal(render('text'), '2026-12-03T12:00:00.000Z INFO  [worker] job finished {"jobId":"j1"}\n');
  });
});
