import type { StagingFolder } from '../staging/staging-folder.js';

/**
 * Copies already staged files into another folder under the same names and records (one mail
 * for several customers: received and split once, then copied per customer).
 */
export async function copyStagedFiles(args: { readonly from: StagingFolder; readonly to: StagingFolder }): Promise<void> {
  for (const file of args.from.files) {
    await args.to.writeFile({
      name: file.name,
      source: args.from.openRead(file.name),
      ...(file.originalName === undefined ? {} : { originalName: file.originalName }),
      ...(file.contentType === undefined ? {} : { contentType: file.contentType }),
      ...(file.role === undefined ? {} : { role: file.role }),
    });
  }
}
