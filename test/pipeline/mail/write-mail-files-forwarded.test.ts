import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { StagedFile } from '../../../src/core/staged-file.js';
import { FORWARD_NOT_READ_HINT, FORWARDED_HINT, MIME_PROBLEM_HINT } from '../../../src/pipeline/mail/split-staged-mail.js';
import { writeMailFiles } from '../../../src/pipeline/mail/write-mail-files.js';
import { MemoryFolder } from '../../../src/pipeline/spool/memory-folder.js';
import { IncomingFolder } from '../../../src/pipeline/staging/stage.js';
import type { StagingFolder } from '../../../src/pipeline/staging/staging-folder.js';
import { makeDataRoot } from '../../support/test-config.js';

const EMAIL_FIXTURES = new URL('../../fixtures/email/', import.meta.url);
const MIB = 1024 * 1024;

async function wire(name: string): Promise<string> {
  return (await readFile(new URL(name, EMAIL_FIXTURES), 'utf8')).replace(/\r?\n/g, '\r\n');
}

/** The bytes of a staged file, from whichever folder holds it. */
async function contentOf(folder: StagingFolder, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of folder.openRead(name) as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function layout(files: readonly StagedFile[]): Array<[string, string | undefined, string | undefined]> {
  return files.map((file) => [file.name, file.role, file.contentType]);
}

/** `raw` sent on as an attachment of a new mail, the way the given client forwards. */
function forwardOf(raw: string, args: { readonly subject: string; readonly partHeaders: readonly string[]; readonly boundary: string }): string {
  return [
    'From: Gene Belcher <gene@bobsburgers.example>',
    'To: bobs_burgers@ingest.hview.example',
    `Subject: ${args.subject}`,
    'Date: Fri, 13 Jan 2023 10:00:00 +0000',
    `Message-ID: <${args.boundary}@bobsburgers.example>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${args.boundary}"`,
    '',
    `--${args.boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'see attached',
    `--${args.boundary}`,
    ...args.partHeaders,
    '',
    raw.replace(/\r\n$/, ''),
    `--${args.boundary}--`,
    '',
  ].join('\r\n');
}

describe('writeMailFiles on mail forwarded as an attachment (message/rfc822)', function () {
  this.timeout(20_000);
  let dataRoot: string;
  before(async () => {
    dataRoot = await makeDataRoot();
  });
  after(async () => {
    await rm(dataRoot, { recursive: true, force: true });
  });

  async function stage(raw: string, kind: 'folder' | 'memory' = 'folder'): Promise<{ folder: StagingFolder; hints: Readonly<Record<string, string>> }> {
    const folder = kind === 'folder' ? await IncomingFolder.create(dataRoot) : new MemoryFolder();
    const hints = await writeMailFiles({ folder, source: Readable.from([Buffer.from(raw)]), maxBytes: 50 * MIB });
    return { folder, hints };
  }

  it('Outlook "Forward as Attachment": the forwarded report\'s parts beside the mail\'s own, its headers as the hints', async () => {
    const raw = await wire('forwarded_outlook_system_report.eml');
    const { folder, hints } = await stage(raw);
    assert.deepEqual(layout(folder.files), [
      ['message.eml', 'message', 'message/rfc822'],
      ['attachment-1.bin', 'attachment', 'message/rfc822'],
      ['body.txt', 'body', 'text/plain; charset=utf-8'],
      ['body.html', 'body', 'text/html; charset=utf-8'],
      ['forwarded-headers.txt', 'forwarded-headers', 'text/rfc822-headers'],
      ['forwarded-attachment-1.bin', 'forwarded-attachment', 'application/gzip'],
      ['forwarded-body.txt', 'forwarded-body', 'text/plain; charset=utf-8'],
    ]);
    const inner = await wire('system_report.eml');
    assert.deepEqual(await contentOf(folder, 'attachment-1.bin'), Buffer.from(inner), 'the forwarded message, byte for byte');
    const headers = (await contentOf(folder, 'forwarded-headers.txt')).toString('utf8');
    assert.equal(headers, inner.slice(0, inner.indexOf('\r\n\r\n') + 4), 'its header block, up to the blank line');

    // The same attachment as when the report comes directly.
    const direct = await stage(inner);
    const directAttachment = direct.folder.files.find((file) => file.name === 'attachment-1.bin');
    const forwardedAttachment = folder.files.find((file) => file.name === 'forwarded-attachment-1.bin');
    assert.equal(forwardedAttachment?.sha256, directAttachment?.sha256);
    assert.equal(forwardedAttachment?.originalName, 'HSSysReport_8A5-000123_20230113T120000+0900.tar.gz');
    assert.equal((await contentOf(folder, 'forwarded-body.txt')).toString('utf8'), (await contentOf(direct.folder, 'body.txt')).toString('utf8'));
    assert.match((await contentOf(folder, 'body.txt')).toString('utf8'), /^Forwarding today's report/, "the forwarder's note stays the mail's own body");

    assert.deepEqual(hints, {
      ...direct.hints,
      [FORWARDED_HINT]: '1',
      outerSubject: 'FW: [HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-13',
      outerFrom: '"Linda Belcher" <linda@bobsburgers.example>',
      outerTo: 'bobs_burgers@ingest.hview.example',
      outerMessageId: '<DM6PR11MB4250C7A1E2F94B3D8A5@DM6PR11MB4250.namprd11.prod.outlook.com>',
      outerDate: '2023-01-13T04:10:31.000Z',
    });
  });

  it('Thunderbird with an unrelated subject ("Fwd: report"): the hints carry the alert\'s subject', async () => {
    const { folder, hints } = await stage(await wire('forwarded_thunderbird_alert.eml'));
    assert.equal(hints.subject, '[HYDRAstor][WARNING] icecream_machine HS-E10431 SN002: Disk failure detected');
    assert.equal(hints.outerSubject, 'Fwd: report');
    assert.equal(hints[FORWARDED_HINT], '1');
    assert.equal(
      folder.files.find((file) => file.name === 'attachment-1.bin')?.originalName,
      '[HYDRAstor][WARNING] icecream_machine HS-E10431 SN002: Disk failure detected.eml',
      'RFC 2231 continuations joined',
    );
    assert.match((await contentOf(folder, 'forwarded-body.txt')).toString('utf8'), /^Node {17}: SN002$/m);
  });

  it("Exchange (the forwarded message base64-encoded, windows-1252 inside): decoded to UTF-8, in the spool's memory folder as on disk", async () => {
    const raw = await wire('forwarded_exchange_base64_alert.eml');
    for (const kind of ['folder', 'memory'] as const) {
      const { folder, hints } = await stage(raw, kind);
      assert.equal(hints.subject, '[HYDRAstor][ERROR] K\u00fchlschrank_grid HS-E10431 n\u0153ud-3: Disk failure detected', kind);
      assert.equal(hints.outerSubject, 'FW: alert from the cold room');
      const body = await contentOf(folder, 'forwarded-body.txt');
      assert.ok(body.includes(Buffer.from('Node                 : n\u0153ud-3\n', 'utf8')), `${kind}: UTF-8 bytes c5 93 for the windows-1252 byte 9c`);
      assert.ok(body.includes(Buffer.from('System Name          : K\u00fchlschrank_grid\n', 'utf8')));
      assert.deepEqual(
        layout(folder.files).map(([name]) => name),
        ['message.eml', 'attachment-1.bin', 'body.txt', 'forwarded-headers.txt', 'forwarded-body.txt'],
      );
    }
    const onDisk = await stage(raw, 'folder');
    const inMemory = await stage(raw, 'memory');
    assert.deepEqual(inMemory.folder.files, onDisk.folder.files, 'the same files, names, roles and hashes in both paths');
    assert.deepEqual(inMemory.hints, onDisk.hints);
  });

  it("mutt's MIME forward (disposition inline) is read the same way, not merged into the outer body", async () => {
    const raw = forwardOf(await wire('alert_disk_failure.eml'), {
      subject: 'Fwd: [HYDRAstor][WARNING] icecream_machine',
      boundary: 'mutt1',
      partHeaders: ['Content-Type: message/rfc822', 'Content-Disposition: inline'],
    });
    const { folder, hints } = await stage(raw);
    assert.equal(hints[FORWARDED_HINT], '1');
    assert.equal(hints.messageId, '<20230113114200.HS-E10431.SN002@icecream-machine.example>');
    assert.equal((await contentOf(folder, 'body.txt')).toString('utf8'), 'see attached');
    assert.match((await contentOf(folder, 'forwarded-body.txt')).toString('utf8'), /Event ID {13}: HS-E10431/);
  });

  it('a forward of a forward is read two levels deep', async () => {
    const once = forwardOf(await wire('alert_disk_failure.eml'), { subject: 'FW: alert', boundary: 'level1', partHeaders: ['Content-Type: message/rfc822'] });
    const twice = forwardOf(once, {
      subject: 'FW: FW: alert',
      boundary: 'level2',
      partHeaders: ['Content-Type: message/rfc822', 'Content-Disposition: attachment; filename="FW alert.eml"'],
    });
    const { folder, hints } = await stage(twice);
    assert.equal(hints[FORWARDED_HINT], '2');
    assert.equal(hints.subject, '[HYDRAstor][WARNING] icecream_machine HS-E10431 SN002: Disk failure detected');
    assert.equal(hints.outerSubject, 'FW: FW: alert', 'outer… is the mail as received');
    assert.deepEqual(
      layout(folder.files).map(([name]) => name),
      [
        'message.eml',
        'attachment-1.bin',
        'body.txt',
        'forwarded-headers.txt',
        'forwarded-attachment-1.bin',
        'forwarded-body.txt',
        'forwarded-forwarded-headers.txt',
        'forwarded-forwarded-body.txt',
      ],
    );
    assert.match((await contentOf(folder, 'forwarded-forwarded-body.txt')).toString('utf8'), /Node {17}: SN002/);
  });

  it('a mail forwarding two messages is not read as forwarded, and says why', async () => {
    const alert = await wire('alert_disk_failure.eml');
    const raw = forwardOf(alert, { subject: 'Fwd: two alerts', boundary: 'two', partHeaders: ['Content-Type: message/rfc822'] }).replace(
      '--two--',
      ['--two', 'Content-Type: message/rfc822', '', (await wire('alert_recovered.eml')).replace(/\r\n$/, ''), '--two--'].join('\r\n'),
    );
    const { folder, hints } = await stage(raw);
    assert.equal(hints.subject, 'Fwd: two alerts');
    assert.equal(hints[FORWARDED_HINT], undefined);
    assert.match(hints[FORWARD_NOT_READ_HINT] ?? '', /forwards 2 messages \(attachment-1\.bin, attachment-2\.bin\)/);
    assert.deepEqual(
      folder.files.filter((file) => file.name.startsWith('forwarded-')),
      [],
    );
  });

  it('a delivery report quoting a message, and an attached "message" without headers, are not read as forwarded', async () => {
    const bounce = forwardOf(await wire('alert_disk_failure.eml'), {
      subject: 'Undelivered Mail Returned to Sender',
      boundary: 'dsn',
      partHeaders: ['Content-Type: message/rfc822'],
    }).replace('Content-Type: multipart/mixed; boundary="dsn"', 'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"');
    const dsn = await stage(bounce);
    assert.equal(dsn.hints.subject, 'Undelivered Mail Returned to Sender');
    assert.equal(dsn.hints[FORWARDED_HINT], undefined);
    assert.equal(dsn.hints[FORWARD_NOT_READ_HINT], undefined);

    const headless = forwardOf('just some text\r\nthat is not a mail\r\n', {
      subject: 'Fwd: x',
      boundary: 'nohead',
      partHeaders: ['Content-Type: message/rfc822'],
    });
    const { folder, hints } = await stage(headless);
    assert.equal(hints.subject, 'Fwd: x');
    assert.match(hints[FORWARD_NOT_READ_HINT] ?? '', /attachment-1\.bin is typed message\/rfc822 but holds no message headers/);
    assert.deepEqual(
      folder.files.filter((file) => file.name.startsWith('forwarded-')),
      [],
    );
  });

  it('a forwarded message whose MIME structure breaks keeps what was read, with a mimeProblem hint', async () => {
    const parts = Array.from({ length: 1001 }, (_, index) => `--b\r\nContent-Type: text/plain\r\n\r\npart ${index}`).join('\r\n');
    const inner = `Subject: [HYDRAstor][WARNING] g HS-E10431 SN002: x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${parts}\r\n--b--\r\n`;
    const { hints } = await stage(forwardOf(inner, { subject: 'Fwd: bomb', boundary: 'outer', partHeaders: ['Content-Type: message/rfc822'] }));
    assert.equal(hints[FORWARDED_HINT], '1');
    assert.match(hints[MIME_PROBLEM_HINT] ?? '', /^forwarded message: MESSAGE_MALFORMED: .*MIME limit/);
    assert.equal(hints.subject, '[HYDRAstor][WARNING] g HS-E10431 SN002: x', 'headers read before the problem still classify');
  });
});
