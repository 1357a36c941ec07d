import assert from 'node:assert/strict';
import { labelRecordToJson, labelValue, labelValues, parseLabelRecords } from '../../../../src/modules/hydrastor/veritas2hview/parse-label-records.js';
import { parseDiskPools } from '../../../../src/modules/hydrastor/veritas2hview/parse-disk-pools.js';
import { parseDiskVolumes } from '../../../../src/modules/hydrastor/veritas2hview/parse-disk-volumes.js';
import { parseStorageServers } from '../../../../src/modules/hydrastor/veritas2hview/parse-storage-servers.js';
import { parseStorageUnits } from '../../../../src/modules/hydrastor/veritas2hview/parse-storage-units.js';
import { gibibytesToBytes, isHydrastorType, splitStateSuffix } from '../../../../src/modules/hydrastor/veritas2hview/storage-values.js';
import { readTarGzEntries } from './support/read-archive-entries.js';

const GIB = 1n << 30n;

describe('label records (nbdevquery -U, bpstulist -U)', () => {
  let files: Map<string, string>;
  before(async () => {
    const entries = await readTarGzEntries(new URL('../../../fixtures/upload/veritas2hview_small.tar.gz', import.meta.url));
    files = new Map([...entries].map(([path, content]) => [path.split('/').pop()!, content.toString('utf8')]));
  });
  const file = (name: string): string => files.get(name)!;

  it('splits records at blank lines and collects repeated labels into arrays', () => {
    const { records, issues } = parseLabelRecords('A : 1\r\nFlag : x\r\nFlag : y\r\n\r\n\r\nA: 2\nNote : a: b\n', { file: 't' });
    assert.deepEqual(issues, []);
    assert.equal(records.length, 2);
    assert.deepEqual(labelValues(records[0]!, 'flag'), ['x', 'y']);
    assert.equal(labelValue(records[1]!, 'A'), '2');
    assert.equal(records[1]!.line, 6);
    assert.equal(labelValue(records[1]!, 'Note'), 'a: b', 'the value keeps its own colons');
    assert.deepEqual({ ...labelRecordToJson(records[0]!) }, { A: '1', Flag: ['x', 'y'] });
  });

  it('reports lines that are not "Label : value" and keeps the record', () => {
    const { records, issues } = parseLabelRecords('Name : a\nwrapped text\n: no label\n', { file: 'dp.txt' });
    assert.equal(records.length, 1);
    assert.deepEqual(
      issues.map((issue) => [issue.file, issue.line, issue.severity]),
      [
        ['dp.txt', 2, 'warning'],
        ['dp.txt', 3, 'warning'],
      ],
    );
  });

  it('reads disk pools: storage server without its (UP) suffix, GiB capacities in bytes', () => {
    const { diskPools, issues } = parseDiskPools(file('nbdevquery_listdp_U.txt'));
    assert.deepEqual(issues, []);
    assert.deepEqual(
      diskPools.map((pool) => [pool.name, pool.isHydrastor, pool.storageServer, pool.storageServerState]),
      [
        ['dp_hydra_icecream_machine', true, 'icecream-machine-an.acme.local', 'UP'],
        ['dp_msdp', false, 'msdp01.acme.local', 'UP'],
      ],
    );
    const hydra = diskPools[0]!;
    assert.equal(hydra.rawSizeBytes, 1_036_800n * GIB);
    assert.equal(hydra.usableSizeBytes, 1_036_800n * GIB);
    assert.equal(hydra.volumeCount, 2);
    assert.equal(hydra.highWatermarkPercent, 98);
    assert.equal(hydra.maxIoStreams, -1);
    assert.equal(hydra.comment, null);
    assert.deepEqual(hydra.flags, ['OpenStorage']);
    assert.equal(diskPools[1]!.rawSizeBytes, (1_923_697n * GIB + 50n) / 100n);
  });

  it('reads disk volumes: LSU name, disk media id and pool', () => {
    const { diskVolumes, issues } = parseDiskVolumes(file('nbdevquery_listdv_U.txt'));
    assert.deepEqual(issues, []);
    assert.deepEqual(
      diskVolumes.map((volume) => [volume.name, volume.diskMediaId, volume.diskPool, volume.isHydrastor]),
      [
        ['ost_lsu_prod01', '@aaaab', 'dp_hydra_icecream_machine', true],
        ['ost_lsu_prod02', '@aaaac', 'dp_hydra_icecream_machine', true],
      ],
    );
    assert.deepEqual(diskVolumes[0]!.flags, ['ReadOnWrite', 'AdminUp', 'InternalUp']);
    assert.equal(diskVolumes[0]!.totalCapacityBytes, 518_400n * GIB);
    assert.equal(diskVolumes[0]!.usedPercent, 59);
    assert.equal(diskVolumes[0]!.writeStreams, 3);
  });

  it('reads storage servers and their type', () => {
    const { storageServers, issues } = parseStorageServers(file('nbdevquery_liststs_U.txt'));
    assert.deepEqual(issues, []);
    assert.deepEqual(
      storageServers.map((server) => [server.name, server.serverType, server.isHydrastor, server.state, server.flags.length]),
      [
        ['icecream-machine-an.acme.local', 'HYDRAstor', true, 'UP', 3],
        ['msdp01.acme.local', 'PureDisk', false, 'UP', 1],
      ],
    );
  });

  it('reads storage units ("Label:" spacing) and their disk pool', () => {
    const { storageUnits, issues } = parseStorageUnits(file('bpstulist_U.txt'));
    assert.deepEqual(issues, []);
    assert.deepEqual(
      storageUnits.map((unit) => [unit.label, unit.diskPool, unit.concurrentJobs, unit.onDemandOnly, unit.maxFragmentSizeMegabytes]),
      [
        ['stu_hydra_icecream_machine', 'dp_hydra_icecream_machine', 40, false, 524_287],
        ['stu_msdp', 'dp_msdp', 40, false, 524_287],
      ],
    );
  });

  it('reports and skips records without their key label', () => {
    const { diskPools, issues } = parseDiskPools('Disk Type : HYDRAstor\n\nDisk Pool Name : p1\n', { file: 'x.txt' });
    assert.deepEqual(
      diskPools.map((pool) => pool.name),
      ['p1'],
    );
    assert.deepEqual(
      issues.map((issue) => [issue.file, issue.line, issue.severity]),
      [['x.txt', 1, 'error']],
    );
  });

  it('keeps every storage server of a pool served by several', () => {
    const { diskPools } = parseDiskPools('Disk Pool Name : p\nDisk Type : hydrastor\nStorage Server : a.example (UP)\nStorage Server : b.example (DOWN)\n');
    assert.deepEqual(diskPools[0]!.storageServers, [
      { name: 'a.example', state: 'UP' },
      { name: 'b.example', state: 'DOWN' },
    ]);
    assert.equal(diskPools[0]!.isHydrastor, true);
  });

  it('converts GiB exactly and matches HYDRAstor case-insensitively', () => {
    assert.equal(gibibytesToBytes('1'), GIB);
    assert.equal(gibibytesToBytes('0.5'), GIB / 2n);
    assert.equal(gibibytesToBytes('12345678.99'), (1_234_567_899n * GIB + 50n) / 100n);
    assert.equal(gibibytesToBytes('n/a'), null);
    assert.equal(gibibytesToBytes(null), null);
    assert.deepEqual(splitStateSuffix('host.example (UP)'), { name: 'host.example', state: 'UP' });
    assert.deepEqual(splitStateSuffix('host.example'), { name: 'host.example', state: null });
    for (const type of ['HYDRAstor', 'hydrastor', 'HYDRASTOR', 'NEC_HYDRAstor']) assert.equal(isHydrastorType(type), true, type);
    for (const type of ['PureDisk', 'AdvancedDisk', '', null]) assert.equal(isHydrastorType(type), false, String(type));
  });
});
