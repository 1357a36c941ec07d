import { setTimeout as sleep } from 'node:timers/promises';
import { seconds, waitForAck, type ChaosRun } from './chaos-run.js';
import { markRecovered, newFault } from './faults.js';

/** How long to wait for the first 250 after PostgreSQL is back before moving on. */
const FIRST_ACK_BOUND_MS = 120_000;

/**
 * Stops the harness's PostgreSQL for `outageSeconds` while mails and uploads keep coming (they
 * must be refused for now — SMTP 4xx, HTTP 503 — never answered 250/202 and then lost), starts it again,
 * and waits for the first 250 after it is back.
 */
export async function outagePhase(run: ChaosRun): Promise<void> {
  const { ledger, database, service, options } = run;
  ledger.phase = 'db-outage';
  const fault = newFault(ledger, 'db-outage', `PostgreSQL stopped for ${options.outageSeconds} s`);
  run.faults.push(fault);
  const stopStarted = performance.now();
  await database.stopServer();
  fault.notes.push(`fast shutdown took ${((performance.now() - stopStarted) / 1000).toFixed(1)} s`);
  await sleep(options.outageSeconds * 1000);
  await database.startServer();
  markRecovered(ledger, fault);
  run.drains.watch(fault);
  ledger.phase = 'after-outage';
  if (!service.running) {
    fault.notes.push('the service had exited during the outage; restarted');
    await service.start();
  }
  const [firstMail, firstUpload] = await Promise.all([
    waitForAck(run, 'mail', fault.recoveredAt ?? 0, FIRST_ACK_BOUND_MS),
    waitForAck(run, 'upload', fault.recoveredAt ?? 0, FIRST_ACK_BOUND_MS),
  ]);
  if (firstMail === null) fault.notes.push(`no 250 within ${FIRST_ACK_BOUND_MS / 1000} s after PostgreSQL was back`);
  if (firstUpload === null) fault.notes.push(`no 202 within ${FIRST_ACK_BOUND_MS / 1000} s after PostgreSQL was back`);
  run.log(`  ${fault.label}: first 250 ${seconds(firstMail)} s after it was back; ${fault.notes.join('; ')}`);
}
