// A separate service process for crash and concurrency tests: the real service with the echo
// module, configured from DP_TEST_* variables, printing "ready" once it runs.
import { startService } from '../../src/main.js';
import { echoModule } from './echo-module.js';
import { makeTestConfig } from './test-config.js';

const databaseUrl = process.env.DP_TEST_DATABASE_URL;
const dataRoot = process.env.DP_TEST_DATA_ROOT;
if (databaseUrl === undefined || dataRoot === undefined) throw new Error('DP_TEST_DATABASE_URL and DP_TEST_DATA_ROOT are required');
const overrides = JSON.parse(process.env.DP_TEST_OVERRIDES ?? '{}') as Record<string, unknown>;

const service = await startService({ config: makeTestConfig({ databaseUrl, dataRoot, overrides }), modules: [echoModule], logToConsole: false });
process.stdout.write('ready\n');
// A second SIGTERM while stopping is ignored; the first one's shutdown is already under way.
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void service.stop().then(() => process.exit(0));
});
