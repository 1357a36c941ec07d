import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Arrival } from '../../src/pipeline/accept.js';
import { echoModule } from '../support/echo-module.js';
import { exampleModule } from '../support/example-module/index.js';
import { createExampleInventoryTable } from '../support/example-module/upsert-inventory.js';
import { startTestService, type TestService } from '../support/start-test-service.js';

/** An inventory mail as the SMTP transport hands it to the pipeline: hints from its headers, its attachment staged. */
function inventoryMail(subject: string, csv: string): Arrival {
  return {
    source: 'smtp',
    customer: 'bobs_burgers',
    hints: { subject },
    writeFiles: async (folder) => {
      await folder.writeFile({ name: 'attachment-1.bin', source: csv, originalName: 'inventory.csv', contentType: 'text/csv', role: 'attachment' });
    },
  };
}

/**
 * docs/adding-a-module.md's example module, end to end through the real pipeline: classified by
 * its subject, staged, claimed by the worker, parsed, upserted in the job's transaction; its
 * issues (from parse and from upsert) stored with the job.
 */
describe('the example module (docs/adding-a-module.md), through the real pipeline', function () {
  this.timeout(60_000);
  let t: TestService;
  before(async () => {
    t = await startTestService({ modules: [echoModule, exampleModule] });
    await createExampleInventoryTable(t.service.database.db);
  });
  after(async () => {
    await t?.stop();
  });

  const rows = async (): Promise<Array<{ sku: string; quantity: number | null }>> =>
    (await sql<{ sku: string; quantity: number | null }>`SELECT sku, quantity FROM test_example_inventory ORDER BY sku`.execute(t.service.database.db)).rows;

  it('classifies a mail by its subject, writes one row per SKU and stores the issues of parse and upsert with the job', async () => {
    const csv = 'SKU,Quantity\nA-1,10\n,3\nB-2,lots\nA-1,10\n';
    const { job } = await t.service.accept(inventoryMail('RE: Inventory report warehouse_1', csv));
    assert.deepEqual([job.category, job.type, job.group_name], ['example', 'inventory', 'warehouse_1']);
    const done = await t.waitForStatus(job.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', String(done.error_message));
    assert.deepEqual(await rows(), [
      { sku: 'A-1', quantity: 10 },
      { sku: 'B-2', quantity: null },
    ]);
    assert.deepEqual(done.parse_issues, {
      count: 3,
      items: [
        { file: 'inventory.csv', line: 3, what: 'no sku; line left out', raw: null },
        { file: 'inventory.csv', line: 4, what: 'quantity is not a whole number; stored as null', raw: 'lots' },
        { file: 'inventory.csv', line: null, what: 'sku A-1 is listed twice; the last one is kept', raw: null },
      ],
    });
  });

  it('changes only what differs when a newer report comes', async () => {
    const { job } = await t.service.accept(inventoryMail('Inventory report warehouse_1', 'sku,quantity\nA-1,10\nB-2,7\n'));
    const done = await t.waitForStatus(job.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', String(done.error_message));
    assert.deepEqual(done.stats, { test_example_inventory: 1 });
    assert.deepEqual(await rows(), [
      { sku: 'A-1', quantity: 10 },
      { sku: 'B-2', quantity: 7 },
    ]);
  });

  it('leaves a mail with another subject to the other modules (unclassified here)', async () => {
    const { job } = await t.service.accept(inventoryMail('Stock levels', 'sku,quantity\nC-3,1\n'));
    assert.equal(job.category, 'unclassified');
  });
});
