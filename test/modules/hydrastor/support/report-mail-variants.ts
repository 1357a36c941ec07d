import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create as createTar } from 'tar';
import { readFixtureMail, readFixtureSource, readReportFiles } from './mail-fixtures.js';

/** A fixture mail as text (they are 7-bit ASCII). */
export async function fixtureText(name: string): Promise<string> {
  return (await readFixtureSource(name)).toString('utf8');
}

/** The CSV files of system_report.eml's attachment, by base name. */
export async function fixtureReportFiles(): Promise<Map<string, string>> {
  return readReportFiles(await readFixtureMail('system_report.eml'));
}

const BASE64_LINE_CHARS = 76;

function base64Lines(content: Buffer): string {
  const encoded = content.toString('base64');
  const lines: string[] = [];
  for (let start = 0; start < encoded.length; start += BASE64_LINE_CHARS) lines.push(encoded.slice(start, start + BASE64_LINE_CHARS));
  return lines.join('\n');
}

/** Replaces the attachment part of a report fixture (its name, type and bytes). */
export function withAttachment(raw: string, args: { readonly filename: string; readonly contentType: string; readonly content: Buffer }): string {
  const part =
    /Content-Type: application\/(?:gzip|zip)\r?\nContent-Transfer-Encoding: base64\r?\nContent-Disposition: attachment;\r?\n filename="[^"]*"\r?\nMIME-Version: 1\.0\r?\n\r?\n[\s\S]*?(?=\r?\n\r?\n--=_dp_[0-9a-f]+--)/;
  if (!part.test(raw)) throw new Error('the fixture has no attachment part to replace');
  return raw.replace(part, () =>
    [
      `Content-Type: ${args.contentType}`,
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment;',
      ` filename="${args.filename}"`,
      'MIME-Version: 1.0',
      '',
      base64Lines(args.content),
    ].join('\n'),
  );
}

export function withSubject(raw: string, subject: string): string {
  return raw.replace(/^Subject:.*(?:\r?\n[ \t].*)*/im, `Subject: ${subject}`);
}

/** A .tar.gz of `files` (relative path → content), built with node-tar the way HYDRAstor would ship it. */
export async function makeTarGz(files: ReadonlyMap<string, string>): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dp-test-report-'));
  try {
    const root = path.join(dir, 'content');
    for (const [name, content] of files) {
      await mkdir(path.dirname(path.join(root, name)), { recursive: true });
      await writeFile(path.join(root, name), content);
    }
    const archive = path.join(dir, 'report.tgz');
    await createTar({ gzip: true, cwd: root, file: archive, portable: true }, [...new Set([...files.keys()].map((name) => name.split('/')[0] ?? name))]);
    return await readFile(archive);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
