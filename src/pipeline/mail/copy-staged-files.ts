import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { StagedFile } from '../../modules/types.js';
import type { IncomingFolder } from '../stage.js';

/**
 * Copies already staged files into another incoming folder under the same names and records
 * (one mail for several customers: received and split once, then copied per customer).
 */
export async function copyStagedFiles(args: { readonly fromDir: string; readonly files: readonly StagedFile[]; readonly to: IncomingFolder }): Promise<void> {
  for (const file of args.files) {
    await args.to.writeFile({
      name: file.name,
      source: createReadStream(path.join(args.fromDir, file.name)),
      ...(file.originalName === undefined ? {} : { originalName: file.originalName }),
      ...(file.contentType === undefined ? {} : { contentType: file.contentType }),
      ...(file.role === undefined ? {} : { role: file.role }),
    });
  }
}
