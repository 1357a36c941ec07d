import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create as createTar } from 'tar';

/** A file's content: small ones as text or bytes, generated ones as a stream of chunks. */
export type ExportFileContent = string | Buffer | Iterable<Buffer> | AsyncIterable<Buffer>;

export interface BuildExportArchiveArgs {
  /** Where the archive goes (a test-owned temp folder). */
  readonly dir: string;
  readonly archiveName?: string;
  /** File name (may include a sub-folder) → content, written in this order (the archive keeps it). */
  readonly files: ReadonlyArray<readonly [string, ExportFileContent]>;
  /** A top-level folder around the files, as the export tool writes. */
  readonly folder?: string;
  /**
   * Writes a manifest.json last, with every file's SHA-256, or with `sha256Overrides` instead;
   * `generatedAt` defaults to 2023-01-14T03:00:00+00:00.
   */
  readonly manifest?: { readonly masterServer: string; readonly sha256Overrides?: Readonly<Record<string, string>>; readonly generatedAt?: string };
}

/** Writes the files to a scratch folder and packs them as .tar.gz with the `tar` package. */
export async function buildExportArchive(args: BuildExportArchiveArgs): Promise<string> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'dp-test-export-'));
  try {
    const folder = args.folder ?? '';
    const base = path.join(scratch, folder);
    await mkdir(base, { recursive: true });
    const names: string[] = [];
    for (const [name, content] of args.files) {
      await mkdir(path.dirname(path.join(base, name)), { recursive: true });
      await writeFile(path.join(base, name), content);
      names.push(name);
    }
    if (args.manifest !== undefined) {
      const files = [];
      for (const name of names) {
        files.push({ name, sha256: args.manifest.sha256Overrides?.[name] ?? (await sha256Of(path.join(base, name))) });
      }
      const manifest = {
        format: 'veritas2hview',
        formatVersion: 1,
        generatedAt: args.manifest.generatedAt ?? '2023-01-14T03:00:00+00:00',
        masterServer: args.manifest.masterServer,
        netbackupVersion: '10.1.1',
        timezone: 'Asia/Tokyo',
        window: { from: '2023-01-13T03:00:00+00:00', to: '2023-01-14T03:00:00+00:00' },
        files,
      };
      await writeFile(path.join(base, 'manifest.json'), JSON.stringify(manifest, null, 2));
      names.push('manifest.json');
    }
    const archive = path.join(args.dir, args.archiveName ?? 'export.tar.gz');
    const entries = folder === '' ? names : names.map((name) => `${folder}/${name}`);
    await createTar({ gzip: true, file: archive, cwd: scratch, portable: true }, entries);
    return archive;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
