import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestService, type TestService } from '../support/start-test-service.js';
import { RawSmtpClient, expectCode } from '../support/raw-smtp-client.js';
import { INGEST_DOMAIN, jobCount } from '../support/smtp-test-helpers.js';

const BOB = `bobs_burgers@${INGEST_DOMAIN}`;
const SENDER = 'hydrastor@icecream-machine.example';
const KIB = 1024;

/**
 * A disk that fills up in the middle of DATA, on a real file system: a 2 MiB tmpfs is the data
 * root, and a filler file takes all but a little of it after the 354, so MAIL FROM's free-space
 * check passes and the write itself runs out of room. Skipped where mount is not permitted.
 */
describe('SMTP on a disk that fills up during DATA (real tmpfs, real client, real PostgreSQL)', function () {
  this.timeout(30_000);
  let mountPoint: string | undefined;
  let t: TestService | undefined;

  beforeEach(async function () {
    const dir = await mkdtemp(path.join(tmpdir(), 'dp-smtp-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0755', 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      await rm(dir, { recursive: true, force: true });
      console.log('      (skipped: mounting a tmpfs is not permitted here; run as root to test a full disk)');
      this.skip();
    }
    mountPoint = dir;
    t = await startTestService({
      overrides: {
        dataRoot: dir,
        worker: { enabled: false },
        // MAIL FROM wants 1.5 x this free (768 KiB of the 2 MiB).
        smtp: { maxMessageBytes: 512 * KIB, customerCacheSeconds: 0 },
        spool: { enabled: true, maxArrivalBytes: 256 * KIB },
      },
    });
  });

  afterEach(async () => {
    await t?.stop();
    t = undefined;
    if (mountPoint !== undefined) {
      execFileSync('umount', [mountPoint]);
      await rm(mountPoint, { recursive: true, force: true });
      mountPoint = undefined;
    }
  });

  /** Fills the tmpfs until only `leaveBytes` are free; returns the filler's path. */
  async function fillDisk(leaveBytes: number): Promise<string> {
    const stats = await statfs(mountPoint as string);
    const filler = path.join(mountPoint as string, 'filler.bin');
    await writeFile(filler, Buffer.alloc(Math.max(0, stats.bavail * stats.bsize - leaveBytes)));
    return filler;
  }

  async function leftovers(): Promise<{ incoming: string[]; spool: string[] }> {
    const root = mountPoint as string;
    const incoming = await readdir(path.join(root, 'inbox', '.incoming')).catch(() => []);
    const spoolRoot = path.join(root, 'spool');
    const spool: string[] = [];
    for (const node of await readdir(spoolRoot).catch(() => [])) {
      for (const name of await readdir(path.join(spoolRoot, node))) spool.push(`${node}/${name}`);
    }
    return { incoming, spool };
  }

  function message(subject: string, bodyBytes: number): string {
    const line = `${'y'.repeat(76)}\r\n`;
    return `Subject: ${subject}\r\n\r\n${line.repeat(Math.ceil(bodyBytes / line.length))}`;
  }

  for (const { path: label, bytes, leave } of [
    { path: 'folder path (larger than spool.maxArrivalBytes)', bytes: 400 * KIB, leave: 64 * KIB },
    { path: 'spool path (small message)', bytes: 100 * KIB, leave: 16 * KIB },
  ]) {
    it(`answers 452 4.3.1 at once on the ${label}, keeps no partial file, and the session goes on`, async () => {
      const service = t as TestService;
      const before = await jobCount(service);
      const { client } = await RawSmtpClient.connect(service.service.smtpAddress?.port ?? 0);
      try {
        await client.startData({ from: SENDER, to: [BOB] });
        const filler = await fillDisk(leave);
        const started = Date.now();
        await client.write(`${message('too big for the disk', bytes)}.\r\n`);
        const reply = await client.reply(10_000);
        assert.equal(reply.code, 452, reply.text);
        assert.match(reply.text, /^4\.3\.1 /);
        assert.ok(Date.now() - started < 5000, `answered after ${Date.now() - started} ms`);
        await service.settled();
        assert.deepEqual(await leftovers(), { incoming: [], spool: [] }, 'no partial file in inbox/.incoming or the spool');
        assert.equal(await jobCount(service), before);

        // Same connection: RSET works, and once space is freed the next message is taken.
        expectCode(await client.command('RSET'), 250);
        await rm(filler);
        expectCode(await client.command(`MAIL FROM:<${SENDER}>`), 250);
        expectCode(await client.command(`RCPT TO:<${BOB}>`), 250);
        expectCode(await client.command('DATA'), 354);
        const next = await client.command(`${message('after space was freed', bytes)}.`);
        assert.equal(next.code, 250, next.text);
        assert.equal(await jobCount(service), before + 1);
      } finally {
        await client.quit();
      }
    });
  }
});
