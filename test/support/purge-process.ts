// A purge in its own process, for the kill -9 test: the real PurgeTask on its own database pool,
// configured from DP_TEST_* variables; prints "ready", then runs once and prints the report.
import { openDatabase } from '../../src/db/open-database.js';
import { PurgeTask } from '../../src/lifecycle/purge-task.js';
import { Logging } from '../../src/logging/logging.js';
import { makeTestConfig } from './test-config.js';

const databaseUrl = process.env.DP_TEST_DATABASE_URL;
const dataRoot = process.env.DP_TEST_DATA_ROOT;
const nodeName = process.env.DP_TEST_NODE_NAME;
if (databaseUrl === undefined || dataRoot === undefined || nodeName === undefined)
  throw new Error('DP_TEST_DATABASE_URL, DP_TEST_DATA_ROOT and DP_TEST_NODE_NAME are required');
const overrides = JSON.parse(process.env.DP_TEST_OVERRIDES ?? '{}') as Record<string, unknown>;
const config = makeTestConfig({ databaseUrl, dataRoot, overrides });
const logging = new Logging({ logDir: config.logDir, level: 'warn', console: false });
const database = await openDatabase({ url: databaseUrl, dataRoot, embeddedPort: 0, poolSize: 3, logger: logging.for('database') });
process.stdout.write('ready\n');
const report = await new PurgeTask({ db: database.db, config, nodeName, logger: logging.for('retention') }).run({ trigger: 'manual', dryRun: false });
process.stdout.write(`${JSON.stringify(report)}\n`);
await database.close();
await logging.close();
