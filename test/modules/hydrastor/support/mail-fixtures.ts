/**
 * Test-only helpers: decode fixture mails with mailparser and unpack a report attachment into
 * base name → text, the shape parseSystemReportFiles takes. The real extraction (with its safety
 * budgets) lives in the pipeline; this stand-in trusts the fixtures.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { simpleParser, type ParsedMail } from 'mailparser';
import { Parser as TarParser } from 'tar';
import yauzl from 'yauzl';

export const EMAIL_FIXTURES = new URL('../../../fixtures/email/', import.meta.url);

export async function readFixtureSource(name: string): Promise<Buffer> {
  return readFile(new URL(name, EMAIL_FIXTURES));
}

export async function readFixtureMail(name: string): Promise<ParsedMail> {
  return simpleParser(await readFixtureSource(name));
}

/** Replaces a header's value in a raw mail (the header may be folded). */
export function withHeader(source: string, header: string, value: string): string {
  const folded = new RegExp(`^${header}:.*(?:\\r?\\n[ \\t].*)*`, 'im');
  return source.replace(folded, `${header}: ${value}`);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

async function untar(archive: Buffer): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    const parser = new TarParser({
      onReadEntry: (entry) => {
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => {
          if (entry.type === 'File') files.set(baseName(entry.path), Buffer.concat(chunks).toString('utf8'));
        });
      },
    });
    parser.on('error', reject);
    parser.on('end', () => resolve());
    parser.end(gunzipSync(archive));
  });
  return files;
}

async function unzip(archive: Buffer): Promise<Map<string, string>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.fromBuffer(archive, { lazyEntries: true }, (error, zipFile) => (error ? reject(error) : resolve(zipFile)));
  });
  const files = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith('/')) {
        zip.readEntry();
        return;
      }
      zip.openReadStream(entry, (error, stream) => {
        if (error) {
          reject(error);
          return;
        }
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => {
          files.set(baseName(entry.fileName), Buffer.concat(chunks).toString('utf8'));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return files;
}

/** `.tar.gz`, `.tgz` or `.zip`, told apart by name as a mail client would label them. */
export async function unpackReportAttachment(args: { filename: string; content: Buffer }): Promise<Map<string, string>> {
  if (/\.zip$/i.test(args.filename)) return unzip(args.content);
  if (/\.(?:tar\.gz|tgz)$/i.test(args.filename)) return untar(args.content);
  throw new Error(`not a report archive: ${args.filename}`);
}

export async function readReportFiles(mail: ParsedMail): Promise<Map<string, string>> {
  const [attachment] = mail.attachments;
  if (attachment === undefined) throw new Error('mail has no attachment');
  return unpackReportAttachment({ filename: attachment.filename ?? '', content: attachment.content });
}
