import { setTimeout as sleep } from 'node:timers/promises';
import { SMTP_GATE_BYTES, seconds, waitForAck, type ChaosRun } from './chaos-run.js';
import { markRecovered, newFault } from './faults.js';
import { midDataProbe, type ProbeResult } from './mid-data-probe.js';

const MIB = 1024 * 1024;
/** Left free in the low-space step: well under the MAIL FROM gate, enough for the spool to go on. */
const LOW_SPACE_LEFT_BYTES = 8 * MIB;
/** Free space above the gate when the mid-DATA probe starts, so MAIL FROM passes. */
const ABOVE_GATE_BYTES = 16 * MIB;
/** The service measures free space once a second. */
const STATFS_CACHE_MS = 1200;
const FIRST_ACK_BOUND_MS = 120_000;
const PROBE_LARGE = 2;
const PROBE_SMALL = 4;

export interface DiskFullResult {
  readonly probes: readonly ProbeResult[];
}

/**
 * The data root's tmpfs runs out of space, in three steps, while the load goes on:
 * 1. low: less free than the SMTP gate (1.5 × smtp.maxMessageBytes): MAIL FROM must answer 452,
 *    uploads a 4xx/5xx, and nothing acknowledged may be lost;
 * 2. mid-DATA: sessions pass the gate, then the disk fills to the last block while their bodies
 *    stream (see midDataProbe): a prompt 452, not a 421 after the 60 s socket timeout;
 * 3. full: no block left for a while (the worker's copies and the spool's folders fail too).
 * Then the filler is removed and the first 250 after that is timed.
 */
export async function diskFullPhase(run: ChaosRun): Promise<DiskFullResult | null> {
  const { ledger, options, fileSystem } = run;
  if (typeof fileSystem === 'string') {
    run.skipped.push({ phase: 'disk-full', reason: fileSystem });
    run.log(`  disk-full phase skipped: ${fileSystem}`);
    return null;
  }
  const fault = newFault(ledger, 'disk-full', `disk full (low ${options.lowSpaceSeconds} s, mid-DATA, full ${options.fullSpaceSeconds} s)`);
  run.faults.push(fault);

  ledger.phase = 'disk-low';
  await fileSystem.fillTo(LOW_SPACE_LEFT_BYTES);
  fault.notes.push(`low: ${((await fileSystem.availableBytes()) / MIB).toFixed(0)} MiB free`);
  await sleep(options.lowSpaceSeconds * 1000);

  ledger.phase = 'disk-mid-data';
  await fileSystem.free();
  await fileSystem.fillTo(SMTP_GATE_BYTES + ABOVE_GATE_BYTES);
  await sleep(STATFS_CACHE_MS);
  const probes = await midDataProbe(run, { large: PROBE_LARGE, small: PROBE_SMALL, fillCompletely: () => fileSystem.fillCompletely() });
  const slowest = Math.max(0, ...probes.map((probe) => probe.replySeconds ?? 0));
  fault.notes.push(
    `mid-DATA replies: ${probes.map((probe) => `${probe.outcome} in ${probe.replySeconds === null ? '-' : probe.replySeconds.toFixed(1)} s (${(probe.bytes / 1024).toFixed(0)} KiB)`).join(', ')}`,
  );

  ledger.phase = 'disk-full';
  // The probe may have waited long (a late reply): the full step lasts its own time after it.
  await sleep(options.fullSpaceSeconds * 1000);
  await fileSystem.free();
  markRecovered(ledger, fault);
  run.drains.watch(fault);
  ledger.phase = 'after-disk';
  if (!run.service.running) {
    fault.notes.push('the service had exited while the disk was full; restarted');
    await run.service.start();
  }
  const [firstMail, firstUpload] = await Promise.all([
    waitForAck(run, 'mail', fault.recoveredAt ?? 0, FIRST_ACK_BOUND_MS),
    waitForAck(run, 'upload', fault.recoveredAt ?? 0, FIRST_ACK_BOUND_MS),
  ]);
  if (firstMail === null) fault.notes.push(`no 250 within ${FIRST_ACK_BOUND_MS / 1000} s after space was freed`);
  if (firstUpload === null) fault.notes.push(`no 202 within ${FIRST_ACK_BOUND_MS / 1000} s after space was freed`);
  run.log(
    `  ${fault.label}: slowest mid-DATA reply ${slowest.toFixed(1)} s; first 250 ${seconds(firstMail)} s after space was freed; ${fault.notes.join('; ')}`,
  );
  return { probes };
}
