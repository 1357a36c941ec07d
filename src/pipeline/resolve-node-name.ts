import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

const NODE_ID_FILE = 'node-id';

/**
 * The name this instance records on the jobs it stages. Jobs of a node are run only by that node
 * when the data root is not shared, so the name must outlive the process: a configured name, else
 * one kept in `<dataRoot>/node-id` (a container recreated on the same volume keeps its jobs even
 * though its host name changed). With a shared data root every node runs every job, and the host
 * name is used.
 */
export async function resolveNodeName(args: { readonly configured: string | null; readonly dataRoot: string; readonly sharedDataRoot: boolean }): Promise<string> {
  if (args.configured !== null) return args.configured;
  if (args.sharedDataRoot) return hostname();
  const file = path.join(args.dataRoot, NODE_ID_FILE);
  const existing = await readFile(file, 'utf8').then((text) => text.trim(), () => '');
  if (existing !== '') return existing;
  await mkdir(args.dataRoot, { recursive: true });
  await writeFile(file, `${hostname()}\n`, { flag: 'wx' }).catch((error: unknown) => {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  });
  return (await readFile(file, 'utf8')).trim();
}
