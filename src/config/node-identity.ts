import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Config, NodeIdentity } from './config-schema.js';

const NODE_ID_FILE = 'node-id';

/**
 * The name this instance records on the jobs it stages, resolved once by the loader. Jobs of a
 * node are run only by that node when the data root is not shared, so the name must outlive the
 * process: a configured name, else the one kept in `<dataRoot>/node-id` (a container recreated on
 * the same volume keeps its jobs even though its host name changed), else the host name, which
 * `settleNodeName` writes there at the first start. With a shared data root every node runs every
 * job, and the host name is used.
 */
export function nodeIdentity(args: { readonly configured: string | null; readonly dataRoot: string; readonly sharedDataRoot: boolean }): NodeIdentity {
  if (args.configured !== null) return { name: args.configured, configured: true };
  if (args.sharedDataRoot) return { name: hostname(), configured: false };
  return { name: readNodeIdFile(args.dataRoot) ?? hostname(), configured: false };
}

/**
 * Makes an unconfigured node name durable before the first job is staged under it: writes
 * `<dataRoot>/node-id` unless it exists, and returns the config with the name that file holds
 * (another process may have written it first). `serve` and the mailhandler call it at start-up;
 * one-shot commands leave the data root alone.
 */
export async function settleNodeName(config: Config): Promise<Config> {
  if (config.node.configured || config.sharedDataRoot) return config;
  const file = path.join(config.dataRoot, NODE_ID_FILE);
  await mkdir(config.dataRoot, { recursive: true });
  await writeFile(file, `${config.node.name}\n`, { flag: 'wx' }).catch((error: unknown) => {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  });
  const name = (await readFile(file, 'utf8')).trim();
  return name === config.node.name ? config : Object.freeze({ ...config, node: Object.freeze({ name, configured: false }) });
}

function readNodeIdFile(dataRoot: string): string | undefined {
  try {
    const name = readFileSync(path.join(dataRoot, NODE_ID_FILE), 'utf8').trim();
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}
