// The chaos benchmark of issue #11 ("Unattended reliability"): the real service under kill -9,
// a PostgreSQL outage and a full disk while mails and uploads flow, then every acknowledged
// Message-ID and upload checked one by one in the database. See docs/reliability.md.
//
//   npm run chaos                 short run (a few minutes, every fault kind)
//   npm run chaos -- --full       the long one (24 kill -9, >= 1,500 mails, 60 s outage, disk full)
//   npm run chaos -- --help
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMails } from './generate-mails.js';
import { ChaosDatabase } from './chaos/chaos-database.js';
import { USAGE, parseChaosOptions, type ChaosOptions } from './chaos/chaos-options.js';
import { buildReport, writeReport } from './chaos/chaos-report.js';
import { CHAOS_CUSTOMER, CHAOS_GROUP, CHAOS_INGEST_DOMAIN, CHAOS_RECIPIENT, CHAOS_SENDER, seededRandom, waitForAck, type ChaosRun } from './chaos/chaos-run.js';
import { ChaosService } from './chaos/chaos-service.js';
import { checkLedger } from './chaos/check-ledger.js';
import { diskFullPhase } from './chaos/disk-full-phase.js';
import { DrainMonitor } from './chaos/faults.js';
import { finalPhase, topUp } from './chaos/final-phase.js';
import { killPhase } from './chaos/kill-phase.js';
import { Ledger } from './chaos/ledger.js';
import { MailLoad, messageIdOf } from './chaos/mail-load.js';
import { padMail } from './chaos/mid-data-probe.js';
import { outagePhase } from './chaos/outage-phase.js';
import { summarizeServiceErrors } from './chaos/service-errors.js';
import { SmallFileSystem } from './chaos/small-file-system.js';
import { UploadLoad } from './chaos/upload-load.js';
import { BIN, freePort } from './support/service-process.js';

const OUT_DIR = fileURLToPath(new URL('out', import.meta.url));
const UPLOAD_FIXTURE = fileURLToPath(new URL('../test/fixtures/upload/veritas2hview_small.tar.gz', import.meta.url));
const WARM_UP_BOUND_MS = 120_000;
/** smtp.maxConnectionsPerAddress: every session of the harness comes from 127.0.0.1, and killed ones linger. */
const MAX_CONNECTIONS_PER_ADDRESS = 200;

const log = (line: string): void => console.log(line);

async function main(): Promise<number> {
  let options: ChaosOptions | null;
  try {
    options = parseChaosOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 64;
  }
  if (options === null) {
    console.log(USAGE);
    return 0;
  }
  const command = `npm run chaos${options.mode === 'full' ? ' -- --full' : ''} (seed ${options.seed}; repeat with --seed ${options.seed})`;
  const workDir = await mkdtemp(path.join(tmpdir(), 'dp-chaos-'));
  // The embedded PostgreSQL runs as "postgres" when we are root: it must reach its folder.
  await chmod(workDir, 0o755);
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    cleanups.length = 0;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log(`chaos: ${options.mode} run, seed ${options.seed}, work folder ${workDir}`);
    // Clean-ups run in reverse order: the folder goes after the tmpfs inside it is unmounted.
    cleanups.push(() => (options.keep ? Promise.resolve(log(`chaos: work folder kept: ${workDir}`)) : rm(workDir, { recursive: true, force: true })));
    const fileSystem = options.noTmpfs ? 'skipped by --no-tmpfs' : await SmallFileSystem.mount(path.join(workDir, 'fs'), options.tmpfsMiB);
    if (typeof fileSystem !== 'string') {
      cleanups.push(async () => {
        if (options.keep) log(`chaos: the data root stays on the tmpfs ${fileSystem.dir} (--keep); umount it when done`);
        else await fileSystem.unmount();
      });
    }
    const dataRoot = typeof fileSystem === 'string' ? path.join(workDir, 'data') : path.join(fileSystem.dir, 'data');
    await mkdir(dataRoot, { recursive: true });

    const database = await ChaosDatabase.start(path.join(workDir, 'pg'));
    cleanups.push(() => database.close());
    log(
      `chaos: own PostgreSQL on 127.0.0.1:${database.port}; data root ${dataRoot}${typeof fileSystem === 'string' ? ` (no tmpfs: ${fileSystem})` : ` (tmpfs of ${options.tmpfsMiB} MiB)`}`,
    );

    const [httpPort, smtpPort] = [await freePort(), await freePort()];
    const adminKey = randomBytes(24).toString('base64url');
    const configFile = path.join(workDir, 'chaos-config.json');
    await writeFile(configFile, JSON.stringify({ smtp: { ingestDomains: [CHAOS_INGEST_DOMAIN], maxConnectionsPerAddress: MAX_CONNECTIONS_PER_ADDRESS } }));
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DP_') && name !== 'DATABASE_URL'));
    const service = new ChaosService({
      bin: BIN,
      outputFile: path.join(workDir, 'service-output.log'),
      env: {
        ...inherited,
        DATABASE_URL: database.url,
        DP_CONFIG: configFile,
        DP_DATA_ROOT: dataRoot,
        DP_LOG_DIR: path.join(workDir, 'log'),
        DP_LOG_LEVEL: 'warn',
        DP_HTTP_HOST: '127.0.0.1',
        DP_HTTP_PORT: String(httpPort),
        DP_SMTP_HOST: '127.0.0.1',
        DP_SMTP_PORT: String(smtpPort),
        DP_ADMIN_API_KEY: adminKey,
      },
    });
    cleanups.push(() => service.close());
    await service.cli(['migrate']);
    await service.cli(['customer', 'add', CHAOS_CUSTOMER, '--name', 'Chaos benchmark']);
    await service.start();

    const ledger = new Ledger();
    const mails = generateMails({ kind: 'mixed', count: Number.MAX_SAFE_INTEGER, seed: options.seed, to: CHAOS_RECIPIENT })[Symbol.iterator]();
    const nextMail = (padToBytes?: number): ReturnType<Ledger['addMail']> => {
      const next = mails.next();
      if (next.done === true) throw new Error('the mail generator ended');
      const text = padToBytes === undefined ? next.value.text : padMail(next.value.text, padToBytes);
      return ledger.addMail(messageIdOf(text), text);
    };
    const mailLoad = new MailLoad({
      ledger,
      host: '127.0.0.1',
      port: smtpPort,
      from: CHAOS_SENDER,
      to: CHAOS_RECIPIENT,
      sessions: options.sessions,
      ratePerSecond: options.mailRate,
      newMail: () => nextMail(),
    });
    let uploads = 0;
    const uploadLoad = new UploadLoad({
      ledger,
      httpUrl: `http://127.0.0.1:${httpPort}`,
      apiKey: adminKey,
      customer: CHAOS_CUSTOMER,
      group: CHAOS_GROUP,
      body: await readFile(UPLOAD_FIXTURE),
      loops: options.uploadLoops,
      pauseMs: options.uploadPauseMs,
      newToken: () => `chaos-${options.seed}-${(uploads += 1)}`,
    });
    const drains = new DrainMonitor({ database, ledger, boundMs: options.settleSeconds * 1000 });
    const run: ChaosRun = {
      options,
      ledger,
      database,
      service,
      mailLoad,
      uploadLoad,
      drains,
      fileSystem,
      smtpPort,
      faults: [],
      skipped: [],
      random: seededRandom(options.seed),
      nextMail,
      log,
    };
    cleanups.push(() => Promise.all([mailLoad.stop(), uploadLoad.stop(), drains.stop()]));
    mailLoad.start();
    uploadLoad.start();
    drains.start();

    ledger.phase = 'warm-up';
    if ((await waitForAck(run, 'mail', 0, WARM_UP_BOUND_MS)) === null || (await waitForAck(run, 'upload', 0, WARM_UP_BOUND_MS)) === null) {
      throw new Error(
        `no 250 or no 202 within ${WARM_UP_BOUND_MS / 1000} s of the first start: ${JSON.stringify(ledger.outcomes)}; see ${workDir}/service-output.log`,
      );
    }
    log(`chaos: warm-up done (${ledger.acked('mail')} mails, ${ledger.acked('upload')} uploads acknowledged); ${options.kills} kill -9 next`);
    await killPhase(run);
    log(`chaos: kills done (${ledger.acked('mail')} mails, ${ledger.acked('upload')} uploads acknowledged); PostgreSQL outage next`);
    await outagePhase(run);
    log('chaos: disk-full phase next');
    const disk = await diskFullPhase(run);
    await topUp(run);
    log(`chaos: ${ledger.acked('mail')} mails, ${ledger.acked('upload')} uploads acknowledged; final restart and settle`);
    const settle = await finalPhase(run);
    await drains.stop();
    await drains.pollOnce();
    const check = await checkLedger(database, ledger);
    const serviceErrors = await summarizeServiceErrors(path.join(workDir, 'service-output.log'));
    const report = buildReport(run, { check, settle, disk, serviceErrors, durationMs: ledger.now(), command });
    log(`\n${report.text}`);
    log(`\nJSON: ${await writeReport(OUT_DIR, report)}`);
    return report.passed ? 0 : 1;
  } finally {
    await cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`chaos: the harness failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 2;
  },
);
