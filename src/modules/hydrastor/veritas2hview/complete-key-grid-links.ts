import type { GridLink, StorageCorrelation } from './correlate.js';

/**
 * Fills in the serial of links made from the S3 key (which names the grid, not its serial) when
 * the database knows a grid of that name. Links are kept by serial, so a key-linked storage
 * server then joins its grid's file systems like a map-file-linked one. Pure.
 */
export function completeKeyGridLinks(correlation: StorageCorrelation, keyGridSerial: string | null): StorageCorrelation {
  if (keyGridSerial === null) return correlation;
  const complete = <T extends { readonly grid: GridLink | null }>(resolution: T): T =>
    resolution.grid?.method === 's3_key' && resolution.grid.gridSerial === null
      ? { ...resolution, grid: { ...resolution.grid, gridSerial: keyGridSerial } }
      : resolution;
  const mapValues = <K, T extends { readonly grid: GridLink | null }>(map: ReadonlyMap<K, T>): Map<K, T> =>
    new Map([...map].map(([key, value]) => [key, complete(value)]));
  return {
    storageUnits: mapValues(correlation.storageUnits),
    storageServers: mapValues(correlation.storageServers),
    diskVolumesByMediaId: mapValues(correlation.diskVolumesByMediaId),
    diskVolumes: correlation.diskVolumes.map(complete),
    issues: correlation.issues,
  };
}
