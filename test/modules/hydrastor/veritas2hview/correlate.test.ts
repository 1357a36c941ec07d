import assert from 'node:assert/strict';
import {
  correlateStorage,
  GRID_LINK_METHODS,
  resolveStorageUnit,
  type CorrelateStorageArgs,
} from '../../../../src/modules/hydrastor/veritas2hview/correlate.js';
import { parseDiskPools } from '../../../../src/modules/hydrastor/veritas2hview/parse-disk-pools.js';
import { parseDiskVolumes } from '../../../../src/modules/hydrastor/veritas2hview/parse-disk-volumes.js';
import { parseStorageServers } from '../../../../src/modules/hydrastor/veritas2hview/parse-storage-servers.js';
import { parseStorageUnits } from '../../../../src/modules/hydrastor/veritas2hview/parse-storage-units.js';

const SERVERS = parseStorageServers(
  'Storage Server : an1.example\nStorage Server Type : HYDRAstor\n\nStorage Server : msdp.example\nStorage Server Type : PureDisk\n',
).storageServers;
const POOLS = parseDiskPools(
  [
    'Disk Pool Name : dp_hydra\nDisk Type : HYDRAstor\nStorage Server : an1.example (UP)',
    'Disk Pool Name : dp_msdp\nDisk Type : PureDisk\nStorage Server : msdp.example (UP)',
    'Disk Pool Name : dp_lonely\nDisk Type : hydrastor',
    'Disk Pool Name : dp_unlisted\nDisk Type : PureDisk\nStorage Server : other.example (DOWN)',
  ].join('\n\n'),
).diskPools;
const UNITS = parseStorageUnits(
  ['stu_hydra:dp_hydra', 'stu_msdp:dp_msdp', 'stu_lonely:dp_lonely', 'stu_ghost:dp_missing', 'stu_tape:']
    .map((pair) => {
      const [label, pool] = pair.split(':');
      return `Label: ${label}\nStorage Unit Type: Disk\n${pool === '' ? '' : `Disk Pool: ${pool}\n`}`;
    })
    .join('\n'),
).storageUnits;
const VOLUMES = parseDiskVolumes('Disk Pool Name : dp_hydra\nDisk Type : HYDRAstor\nDisk Volume Name : lsu1\nDisk Media ID : @aaaab\n').diskVolumes;

function correlate(overrides: Partial<CorrelateStorageArgs> = {}) {
  return correlateStorage({
    storageUnits: UNITS,
    diskPools: POOLS,
    storageServers: SERVERS,
    diskVolumes: VOLUMES,
    mapFile: [],
    storedMappings: [],
    s3KeyGrid: null,
    ...overrides,
  });
}

const MAP_ENTRY = { line: 2, storageServer: 'AN1.example', gridSerial: 'S-MAP', gridName: 'grid_map' };
const STORED = { storageServer: 'an1.example', gridSerial: 'S-DB', gridName: 'grid_db' };

describe('correlateStorage', () => {
  it('prefers the map file, then the database, then the key grid', () => {
    assert.deepEqual(GRID_LINK_METHODS, ['map_file', 'database', 's3_key']);
    const all = correlate({ mapFile: [MAP_ENTRY], storedMappings: [STORED], s3KeyGrid: 'grid_key' });
    assert.deepEqual(resolveStorageUnit(all, 'stu_hydra')?.grid, { gridSerial: 'S-MAP', gridName: 'grid_map', method: 'map_file' });
    const noMap = correlate({ storedMappings: [STORED], s3KeyGrid: 'grid_key' });
    assert.deepEqual(resolveStorageUnit(noMap, 'stu_hydra')?.grid, { gridSerial: 'S-DB', gridName: 'grid_db', method: 'database' });
    const keyOnly = correlate({ s3KeyGrid: 'grid_key' });
    assert.deepEqual(resolveStorageUnit(keyOnly, 'stu_hydra')?.grid, { gridSerial: null, gridName: 'grid_key', method: 's3_key' });
    assert.equal(resolveStorageUnit(keyOnly, 'stu_hydra')?.outcome, 'linked');
  });

  it('reports when a less preferred method names another grid', () => {
    const { issues } = correlate({ mapFile: [MAP_ENTRY], storedMappings: [STORED], s3KeyGrid: 'grid_map' });
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /map_file links grid S-MAP, database says S-DB; using map_file/);
  });

  it('resolves each storage unit through pool and server, with its outcome', () => {
    const result = correlate({ mapFile: [MAP_ENTRY], s3KeyGrid: 'grid_key' });
    const outcome = (label: string) => {
      const unit = resolveStorageUnit(result, label);
      return [unit?.diskPool, unit?.storageServer, unit?.isHydrastor, unit?.outcome, unit?.grid?.method ?? null];
    };
    assert.deepEqual(outcome('stu_hydra'), ['dp_hydra', 'an1.example', true, 'linked', 'map_file']);
    assert.deepEqual(outcome('STU_HYDRA'), outcome('stu_hydra'), 'labels match ignoring case as a fallback');
    assert.deepEqual(outcome('stu_msdp'), ['dp_msdp', 'msdp.example', false, 'not_hydrastor', null], 'the key grid never links a non-HYDRAstor server');
    assert.deepEqual(outcome('stu_lonely'), ['dp_lonely', null, true, 'unknown_storage_server', null]);
    assert.deepEqual(outcome('stu_ghost'), ['dp_missing', null, false, 'unknown_disk_pool', null]);
    assert.deepEqual(outcome('stu_tape'), [null, null, false, 'not_hydrastor', null]);
    assert.equal(resolveStorageUnit(result, 'stu_unknown'), null);
    assert.equal(resolveStorageUnit(result, null), null);
    assert.equal(result.storageServers.get('other.example')?.outcome, 'not_hydrastor', 'servers known only from a pool are typed by the pool');
  });

  it('links disk volumes (LSUs) by disk media id', () => {
    const result = correlate({ mapFile: [MAP_ENTRY] });
    assert.deepEqual(result.diskVolumesByMediaId.get('@aaaab'), {
      lsu: 'lsu1',
      diskMediaId: '@aaaab',
      diskPool: 'dp_hydra',
      storageServer: 'an1.example',
      isHydrastor: true,
      grid: { gridSerial: 'S-MAP', gridName: 'grid_map', method: 'map_file' },
      outcome: 'linked',
    });
  });

  it('reports a HYDRAstor server nothing links, and a mapping of a server that is not HYDRAstor', () => {
    const unlinked = correlate();
    assert.equal(resolveStorageUnit(unlinked, 'stu_hydra')?.outcome, 'no_grid_link');
    assert.ok(unlinked.issues.some((issue) => /an1\.example has no grid link/.test(issue.message)));
    const wrong = correlate({ mapFile: [{ line: 3, storageServer: 'msdp.example', gridSerial: 'S', gridName: null }] });
    assert.equal(resolveStorageUnit(wrong, 'stu_msdp')?.grid, null);
    assert.ok(wrong.issues.some((issue) => issue.line === 3 && /PureDisk, not HYDRAstor: mapping ignored/.test(issue.message)));
  });

  it('trusts the map file or database for a server no listing describes', () => {
    const result = correlateStorage({
      storageUnits: UNITS,
      diskPools: parseDiskPools('Disk Pool Name : dp_hydra\nStorage Server : an1.example (UP)\n').diskPools,
      storageServers: [],
      diskVolumes: [],
      mapFile: [],
      storedMappings: [STORED],
      s3KeyGrid: null,
    });
    assert.equal(resolveStorageUnit(result, 'stu_hydra')?.grid?.method, 'database');
    const keyOnly = correlateStorage({
      storageUnits: UNITS,
      diskPools: parseDiskPools('Disk Pool Name : dp_hydra\nStorage Server : an1.example (UP)\n').diskPools,
      storageServers: [],
      diskVolumes: [],
      mapFile: [],
      storedMappings: [],
      s3KeyGrid: 'grid_key',
    });
    assert.equal(resolveStorageUnit(keyOnly, 'stu_hydra')?.outcome, 'not_hydrastor', 'the key alone does not make a server HYDRAstor');
  });
});
