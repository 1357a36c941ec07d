import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import winston from 'winston';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { installedPostgresBinaries } from '../../src/db/postgres-binaries.js';

/**
 * Root working in a private folder (a clone in /root, mode 0700): the server runs as `postgres`,
 * which can reach neither the binaries under node_modules nor the data root. Both must move to a
 * folder it can reach, and the server must come up.
 */
describe('embedded PostgreSQL started by root from a private folder', function () {
  this.timeout(90_000);
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('copies the binaries and places the cluster where the postgres account can reach them, says where, and serves', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const privateFolder = await mkdtemp(path.join(tmpdir(), 'dp-private-'));
    const reachableRoot = await mkdtemp(path.join(tmpdir(), 'dp-reachable-'));
    dirs.push(privateFolder, reachableRoot);
    await chmod(privateFolder, 0o700);
    await chmod(reachableRoot, 0o755);
    const installed = await installedPostgresBinaries();
    // The clone's node_modules, seen through the private folder.
    await symlink(installed.root, path.join(privateFolder, 'native'));
    const dataRoot = path.join(privateFolder, 'clone', 'data');
    const messages: string[] = [];
    const recording = winston.createLogger({
      level: 'info',
      transports: [
        new winston.transports.Stream({
          stream: new Writable({
            objectMode: true,
            write(info: { message: string }, _encoding, done) {
              messages.push(info.message);
              done();
            },
          }),
        }),
      ],
    });
    const port = 41000 + Math.floor(Math.random() * 9000);
    const database = await startEmbeddedPostgres({
      dataRoot,
      port,
      logger: recording,
      reachableRoot,
      binaries: { root: path.join(privateFolder, 'native'), version: installed.version },
    });
    try {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query<{ user: string; encoding: string }>(
        'SELECT current_user AS user, pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = current_database()',
      );
      await client.end();
      assert.deepEqual(rows[0], { user: 'postgres', encoding: 'UTF8' });
      assert.ok(existsSync(path.join(reachableRoot, `postgres-${installed.version}`, 'bin', 'postgres')), 'binaries copied where postgres can run them');
      assert.ok(database.databaseDir.startsWith(path.join(reachableRoot, 'clusters')), `cluster placed in the reachable folder, not ${database.databaseDir}`);
      assert.ok(existsSync(path.join(database.databaseDir, 'PG_VERSION')));
      assert.ok(
        messages.some((line) => line.includes(`runs from ${path.join(reachableRoot, `postgres-${installed.version}`)}`)),
        'one line says where the binaries are',
      );
      assert.ok(
        messages.some((line) => line.includes(`keeps its cluster in ${database.databaseDir}`)),
        'one line says where the cluster is',
      );
    } finally {
      await database.stop();
    }
    // The same data root finds the same cluster again on the next start, even once the folder
    // became reachable: the choice is recorded, never swapped for a new, empty cluster.
    await chmod(privateFolder, 0o755);
    const again = await startEmbeddedPostgres({
      dataRoot,
      port,
      logger: recording,
      reachableRoot,
      binaries: { root: path.join(privateFolder, 'native'), version: installed.version },
    });
    try {
      assert.equal(again.databaseDir, database.databaseDir);
      assert.equal(existsSync(path.join(dataRoot, 'pg', 'PG_VERSION')), false, 'no second cluster under the data root');
      const client = new pg.Client({ connectionString: again.url });
      await client.connect();
      await client.end();
    } finally {
      await again.stop();
    }
  });
});
