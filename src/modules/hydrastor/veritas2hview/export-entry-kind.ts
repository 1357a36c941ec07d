/** The files of a Veritas2Hview export (formats spec §3), by the kind of content they hold. */
export const EXPORT_FILES = {
  manifest: { fileName: 'manifest.json', required: false },
  bpdbjobs: { fileName: 'bpdbjobs_most_columns.csv', required: true },
  bpimagelist: { fileName: 'bpimagelist_l.txt', required: false },
  storageServers: { fileName: 'nbdevquery_liststs_U.txt', required: false },
  diskPools: { fileName: 'nbdevquery_listdp_U.txt', required: false },
  diskVolumes: { fileName: 'nbdevquery_listdv_U.txt', required: false },
  storageUnits: { fileName: 'bpstulist_U.txt', required: false },
  hydrastorMap: { fileName: 'hydrastor_map.csv', required: false },
} as const satisfies Record<string, { readonly fileName: string; readonly required: boolean }>;

export type ExportFileKind = keyof typeof EXPORT_FILES;

/** The spec allows one top-level folder around the files; deeper entries are not the export's. */
const MAX_FOLDER_DEPTH = 1;

const KIND_BY_FILE_NAME: ReadonlyMap<string, ExportFileKind> = new Map(
  (Object.keys(EXPORT_FILES) as ExportFileKind[]).map((kind) => [EXPORT_FILES[kind].fileName.toLowerCase(), kind]),
);

/**
 * Which export file an archive entry is, whatever top-level folder it sits in, or null for
 * anything else (unknown extra files, folders, `__MACOSX/` resource forks, deeper paths), which
 * the caller skips. Accepts `/` and `\` separators (zips made on Windows) and ignores case.
 */
export function basenameOfExportEntry(entryPath: string): ExportFileKind | null {
  const segments = entryPath.split(/[\\/]+/).filter((segment) => segment.length > 0 && segment !== '.');
  const baseName = segments.pop();
  if (baseName === undefined || segments.length > MAX_FOLDER_DEPTH) return null;
  if (segments.some((segment) => segment === '..' || segment.toLowerCase() === '__macosx')) return null;
  return KIND_BY_FILE_NAME.get(baseName.toLowerCase()) ?? null;
}

/** Required files the archive lacks (the job fails naming them). */
export function missingRequiredExportFiles(found: ReadonlySet<ExportFileKind>): ExportFileKind[] {
  return (Object.keys(EXPORT_FILES) as ExportFileKind[]).filter((kind) => EXPORT_FILES[kind].required && !found.has(kind));
}
