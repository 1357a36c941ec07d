import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import { IngestError } from '../../../src/core/ingest-error.js';
import { MIME_PROBLEM_HINT } from '../../../src/pipeline/mail/split-staged-mail.js';
import { MESSAGE_FILE } from '../../../src/core/staged-file.js';
import { writeMailFiles } from '../../../src/pipeline/mail/write-mail-files.js';
import { IncomingFolder } from '../../../src/pipeline/staging/stage.js';
import { makeDataRoot } from '../../support/test-config.js';

const EMAIL_FIXTURES = new URL('../../fixtures/email/', import.meta.url);
const MIB = 1024 * 1024;

function crlf(lines: readonly string[]): string {
  return `${lines.join('\r\n')}\r\n`;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A multipart/mixed message with the given parts (each: header lines, blank line, body). */
function multipart(parts: readonly string[], extraHeaders: readonly string[] = []): string {
  return crlf([
    'Subject: parts',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    ...extraHeaders,
    '',
    ...parts.flatMap((part) => ['--b', part]),
    '--b--',
  ]);
}

describe('writeMailFiles', function () {
  this.timeout(20_000);
  let dataRoot: string;
  before(async () => {
    dataRoot = await makeDataRoot();
  });
  after(async () => {
    await rm(dataRoot, { recursive: true, force: true });
  });

  async function stage(raw: string | Buffer, maxBytes = 50 * MIB): Promise<{ folder: IncomingFolder; hints: Readonly<Record<string, string>> }> {
    const folder = await IncomingFolder.create(dataRoot);
    const hints = await writeMailFiles({ folder, source: Readable.from([Buffer.from(raw)]), maxBytes });
    return { folder, hints };
  }

  async function text(folder: IncomingFolder, name: string): Promise<string> {
    return readFile(path.join(folder.dir, name), 'utf8');
  }

  it('stages the raw message byte for byte, then its attachment, text body and hints', async () => {
    const raw = (await readFile(new URL('system_report.eml', EMAIL_FIXTURES), 'utf8')).replace(/\n/g, '\r\n');
    const { folder, hints } = await stage(raw);
    assert.deepEqual(await readFile(path.join(folder.dir, MESSAGE_FILE)), Buffer.from(raw));
    assert.deepEqual(
      folder.files.map((file) => [file.name, file.role]),
      [
        ['message.eml', 'message'],
        ['attachment-1.bin', 'attachment'],
        ['body.txt', 'body'],
      ],
    );
    const oracle = await simpleParser(raw);
    const attachment = folder.files[1];
    assert.equal(attachment?.sha256, sha256(oracle.attachments[0]!.content), 'the decoded attachment, not its base64');
    assert.equal(attachment?.size, oracle.attachments[0]!.content.length);
    assert.equal(attachment?.originalName, 'HSSysReport_8A5-000123_20230113T120000+0900.tar.gz');
    assert.equal(attachment?.contentType, 'application/gzip');
    assert.match(await text(folder, 'body.txt'), /^System Name {10}: icecream_machine$/m);
    assert.doesNotMatch(await text(folder, 'body.txt'), /=\r?\n/, 'quoted-printable decoded');
    assert.equal(hints.subject, '[HYDRAstor] System Report: icecream_machine (S/N 8A5-000123) 2023-01-13');
    assert.equal(hints[MIME_PROBLEM_HINT], undefined);
    assert.deepEqual((await readdir(folder.dir)).sort(), ['attachment-1.bin', 'body.txt', 'message.eml']);
  });

  it('decodes other charsets and transfer encodings into UTF-8 bodies; an HTML-only mail gets body.html and no body.txt', async () => {
    const latin = await stage(
      crlf(['Subject: latin', 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: quoted-printable', '', 'Caf=E9 cr=E8me']),
    );
    assert.equal(await text(latin.folder, 'body.txt'), 'Caf\u00e9 cr\u00e8me\n');
    const html = await stage(
      crlf([
        'Subject: html',
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('<p>Event ID : HS-E10431</p>').toString('base64'),
      ]),
    );
    assert.deepEqual(
      html.folder.files.map((file) => file.name),
      ['message.eml', 'body.html'],
    );
    assert.match(await text(html.folder, 'body.html'), /<p>Event ID : HS-E10431<\/p>/);
    assert.equal(html.folder.files[1]?.contentType, 'text/html; charset=utf-8');
  });

  it('streams a large attachment to disk with the right hash', async () => {
    const content = Buffer.alloc(8 * MIB, 7);
    for (let index = 0; index < content.length; index += 4096) content[index] = index % 251;
    const base64 = content.toString('base64').replace(/.{76}/g, '$&\r\n');
    const { folder } = await stage(
      multipart([`Content-Type: application/zip\r\nContent-Disposition: attachment; filename="big.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64}`]),
    );
    const attachment = folder.files.find((file) => file.role === 'attachment');
    assert.equal(attachment?.size, content.length);
    assert.equal(attachment?.sha256, sha256(content));
  });

  it('keeps a message past the MIME limits raw, with a mimeProblem hint, and the parts written before it', async () => {
    const started = Date.now();
    const attachmentPart = 'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="first.bin"\r\n\r\nfirst';
    const bomb = multipart([attachmentPart, ...Array.from({ length: 1001 }, (_, index) => `Content-Type: text/plain\r\n\r\npart ${index}`)]);
    const { folder, hints } = await stage(bomb);
    assert.ok(Date.now() - started < 2000, 'fails fast');
    assert.match(hints[MIME_PROBLEM_HINT] ?? '', /^MESSAGE_MALFORMED: .*MIME limit/);
    assert.equal(hints.subject, 'parts', 'headers read before the problem still classify');
    assert.deepEqual(await readFile(path.join(folder.dir, MESSAGE_FILE)), Buffer.from(bomb));
    // The parser reads ahead, so the problem may surface while the first attachment is still
    // being written: it is then dropped whole. Either way, no partial file is left.
    const names = folder.files.map((file) => file.name);
    assert.ok(['message.eml', 'message.eml,attachment-1.bin'].includes(names.join(',')), names.join(','));
    assert.deepEqual((await readdir(folder.dir)).sort(), [...names].sort(), 'no partial file left');
    const kept = folder.files.find((file) => file.name === 'attachment-1.bin');
    if (kept !== undefined) assert.equal(kept.sha256, sha256('first'));

    const fine = await stage(multipart(Array.from({ length: 998 }, (_, index) => `Content-Type: text/plain\r\n\r\npart ${index}`)));
    assert.equal(fine.hints[MIME_PROBLEM_HINT], undefined, '999 parts are fine');
    assert.match(await text(fine.folder, 'body.txt'), /part 997/);
  });

  it('handles nesting: 500 levels are read, 2,000 levels are a problem, never a stack overflow', async () => {
    const nested = (depth: number): string => {
      let body = 'Content-Type: text/plain\r\n\r\ninnermost\r\n';
      for (let level = depth; level > 0; level -= 1)
        body = `Content-Type: multipart/mixed; boundary="b${level}"\r\n\r\n--b${level}\r\n${body}--b${level}--\r\n`;
      return `Subject: nested\r\n${body}`;
    };
    const shallow = await stage(nested(500));
    assert.equal(shallow.hints[MIME_PROBLEM_HINT], undefined);
    assert.match(await text(shallow.folder, 'body.txt'), /innermost/);
    const deep = await stage(nested(2000));
    assert.match(deep.hints[MIME_PROBLEM_HINT] ?? '', /^MESSAGE_MALFORMED/);
  });

  it("treats a 2 MB header block as a problem, and keeps a truncated multipart's complete parts", async () => {
    const headerBomb = await stage(crlf([`Subject: big header`, `X-Filler: ${'x'.repeat(2 * MIB)}`, '', 'body']));
    assert.match(headerBomb.hints[MIME_PROBLEM_HINT] ?? '', /^MESSAGE_MALFORMED/);
    const truncated = crlf([
      'Subject: cut',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'complete part',
      '--b',
      'Content-Type: application/pdf',
      'Content-Disposition: attachment; filename="x.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0x',
    ]);
    const started = Date.now();
    const { folder, hints } = await stage(truncated);
    assert.ok(Date.now() - started < 1000);
    assert.equal(hints[MIME_PROBLEM_HINT], undefined, 'mailparser reads what is there');
    assert.match(await text(folder, 'body.txt'), /complete part/);
    assert.equal(folder.files.find((file) => file.role === 'attachment')?.originalName, 'x.pdf');
  });

  it('stops at maxBytes, removing the partial raw file', async () => {
    const folder = await IncomingFolder.create(dataRoot);
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(64 * 1024, 0x61));
    await assert.rejects(
      writeMailFiles({ folder, source: Readable.from(chunks), maxBytes: 200 * 1024 }),
      (error: unknown) => error instanceof IngestError && error.code === 'ARRIVAL_TOO_LARGE',
    );
    assert.deepEqual(await readdir(folder.dir), []);
    assert.deepEqual(folder.files, []);
  });
});
