import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExportFileContent } from './build-export-archive.js';
import { readTarGzEntries } from './read-archive-entries.js';

export const SMALL_TAR_GZ = fileURLToPath(new URL('../../../../fixtures/upload/veritas2hview_small.tar.gz', import.meta.url));

/** The small fixture's files by base name, in the order the export tool wrote them. */
export async function smallFixtureFiles(): Promise<Map<string, string>> {
  const entries = await readTarGzEntries(SMALL_TAR_GZ);
  return new Map([...entries].map(([entryPath, content]) => [path.basename(entryPath), content.toString('utf8')]));
}

/** The fixture's files except the manifest (and any other left out), with replacements. */
export function exportFiles(
  files: ReadonlyMap<string, string>,
  args: { readonly replace?: Record<string, string>; readonly omit?: readonly string[] } = {},
): Array<[string, ExportFileContent]> {
  const omit = new Set(['manifest.json', ...(args.omit ?? [])]);
  return [...files].filter(([name]) => !omit.has(name)).map(([name, content]) => [name, args.replace?.[name] ?? content]);
}

/** Rewrites one bpdbjobs record's fields (0-based positions) by job id. */
export function withJobFields(bpdbjobs: string, jobId: number, fields: Readonly<Record<number, string>>): string {
  return bpdbjobs
    .split('\n')
    .map((line) => {
      if (!line.startsWith(`${jobId},`)) return line;
      const values = line.split(/(?<!\\),/);
      for (const [position, value] of Object.entries(fields)) values[Number(position)] = value;
      return values.join(',');
    })
    .join('\n');
}

/** Leaves one job out of bpdbjobs. */
export function withoutJob(bpdbjobs: string, jobId: number): string {
  return bpdbjobs
    .split('\n')
    .filter((line) => !line.startsWith(`${jobId},`))
    .join('\n');
}

/** Replaces text in the lines that start with `prefix` (a label record line, an IMAGE line…). */
export function replaceInLine(text: string, prefix: string, from: string, to: string): string {
  let found = false;
  const result = text
    .split('\n')
    .map((line) => {
      if (!line.startsWith(prefix) || !line.includes(from)) return line;
      found = true;
      return line.replace(from, to);
    })
    .join('\n');
  if (!found) throw new Error(`no line starting with ${JSON.stringify(prefix)} holds ${JSON.stringify(from)}`);
  return result;
}
