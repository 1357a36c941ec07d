import { access, mkdir, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create as createTar, extract as extractTar } from 'tar';
import { generateBpdbjobsChunks } from '../../src/modules/hydrastor/veritas2hview/generate-bpdbjobs.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/upload/veritas2hview_small.tar.gz', import.meta.url));
export const EXPORT_FOLDER = 'Veritas2Hview_bench';
/** The fixture's own job list and image list are replaced (jobs) or left out (images: not part of the job benchmark). */
const REPLACED = new Set(['manifest.json', 'bpdbjobs_most_columns.csv', 'bpimagelist_l.txt']);
const CHUNK_BYTES = 1024 * 1024;

/**
 * A Veritas2Hview export `.tar.gz` with `jobs` generated bpdbjobs rows (seed 1: the same bytes every
 * time) around the small fixture's storage listings and map file, as bench/veritas-export.ts builds
 * it. Built once per work folder and size, streamed (memory does not grow with `jobs`).
 */
export async function buildVeritasExport(args: { readonly jobs: number; readonly workRoot: string }): Promise<string> {
  const archive = path.join(args.workRoot, `veritas-${args.jobs}.tar.gz`);
  if (
    await access(archive).then(
      () => true,
      () => false,
    )
  )
    return archive;
  const scratch = path.join(args.workRoot, `veritas-${args.jobs}-src`);
  const source = path.join(scratch, 'fixture');
  const folder = path.join(scratch, EXPORT_FOLDER);
  await mkdir(source, { recursive: true });
  await mkdir(folder, { recursive: true });
  await extractTar({ file: FIXTURE, cwd: source, strip: 1 });
  for (const name of await readdir(source)) {
    if (!REPLACED.has(name)) await copyFile(path.join(source, name), path.join(folder, name));
  }
  await writeFile(path.join(folder, 'bpdbjobs_most_columns.csv'), generateBpdbjobsChunks({ seed: 1, jobs: args.jobs, chunkBytes: CHUNK_BYTES }));
  await createTar({ gzip: true, file: archive, cwd: scratch, portable: true }, [EXPORT_FOLDER]);
  await rm(scratch, { recursive: true, force: true });
  return archive;
}
