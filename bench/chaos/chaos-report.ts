import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seconds, type ChaosRun } from './chaos-run.js';
import type { KindCheck, LedgerCheck } from './check-ledger.js';
import type { DiskFullResult } from './disk-full-phase.js';
import { describeActive, type SettleResult } from './final-phase.js';
import type { Fault } from './faults.js';

/** A refusal slower than this (final dot → reply) leaves a client waiting for nothing. */
const PROMPT_REPLY_SECONDS = 5;

export interface ChaosReport {
  readonly text: string;
  readonly passed: boolean;
  readonly json: Record<string, unknown>;
}

function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const line = (cells: ReadonlyArray<string | number>): string => `| ${cells.map((cell) => String(cell).replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function ledgerRow(name: string, check: KindCheck): Array<string | number> {
  return [
    name,
    check.sent,
    check.acknowledged,
    check.ok,
    check.lost,
    check.duplicated,
    check.stranded,
    check.failed,
    check.refused5xx,
    check.neverAcknowledged,
    check.storedWithoutAck,
  ];
}

/** Failures that make the run fail: acknowledged and lost, stranded, duplicated, failed, or bounced. */
function problems(check: KindCheck): number {
  return check.lost + check.duplicated + check.stranded + check.failed + check.refused5xx;
}

/**
 * The backlog column: seconds, and whether a later restart (a kill's or the final one) came
 * before it emptied: then the service did not clear it by itself.
 */
function drainCell(run: ChaosRun, fault: Fault): string {
  if (fault.drainMs === null || fault.recoveredAt === null) return fault.drainGaveUp ? `> ${run.options.settleSeconds}` : '-';
  const drainedAt = fault.recoveredAt + fault.drainMs;
  const restart = run.faults.find(
    (other) => other !== fault && (other.kind === 'kill' || other.kind === 'restart') && other.at > (fault.recoveredAt ?? 0) && other.at < drainedAt,
  );
  return restart === undefined
    ? seconds(fault.drainMs)
    : `${seconds(fault.drainMs)} (after the ${restart.kind === 'restart' ? 'final restart' : 'next kill'} at ${seconds(restart.at)} s)`;
}

export function buildReport(
  run: ChaosRun,
  args: {
    readonly check: LedgerCheck;
    readonly settle: SettleResult;
    readonly disk: DiskFullResult | null;
    readonly serviceErrors: ReadonlyArray<{ readonly message: string; readonly count: number }>;
    readonly durationMs: number;
    readonly command: string;
  },
): ChaosReport {
  const { ledger, options, faults } = run;
  const { check, settle } = args;
  const kills = faults.filter((fault) => fault.kind === 'kill');
  const groupKills = kills.filter((fault) => fault.label.includes('group')).length;
  const passed = problems(check.mails) + problems(check.uploads) === 0 && settle.settleMs !== null;
  const probes = args.disk?.probes ?? [];
  const lateProbes = probes.filter((probe) => !probe.outcome.startsWith('250') && (probe.replySeconds ?? 0) > PROMPT_REPLY_SECONDS);
  // Not pass conditions of the ledger, but defects all the same: said next to the verdict.
  const warnings = [
    ...(settle.selfHealMs === null
      ? [`the backlog needed the final restart (${describeActive(settle.beforeRestart)} after ${options.selfHealSeconds} s without one)`]
      : []),
    ...(lateProbes.length === 0 ? [] : [`${lateProbes.length} mid-DATA disk-full replies took more than ${PROMPT_REPLY_SECONDS} s`]),
  ];
  const faultRows = faults.map((fault, index) => {
    const since = fault.recoveredAt;
    const firstMail = since === null ? null : ledger.firstAckAfter('mail', since);
    const firstUpload = since === null ? null : ledger.firstAckAfter('upload', since);
    return [
      index + 1,
      fault.label,
      seconds(fault.at),
      since === null ? '-' : seconds(since - fault.at),
      firstMail === null || since === null ? '-' : seconds(firstMail - since),
      firstUpload === null || since === null ? '-' : seconds(firstUpload - since),
      drainCell(run, fault),
      fault.notes.join('; '),
    ];
  });
  const phaseRows = Object.entries(ledger.outcomes).map(([phase, byKind]) => [
    phase,
    Object.entries(byKind['mail'] ?? {})
      .map(([outcome, n]) => `${outcome}: ${n}`)
      .join(', '),
    Object.entries(byKind['upload'] ?? {})
      .map(([outcome, n]) => `${outcome}: ${n}`)
      .join(', '),
    seconds(ledger.slowest[phase]?.['mail'] ?? null),
    seconds(ledger.slowest[phase]?.['upload'] ?? null),
  ]);
  const text = [
    `Chaos benchmark (${options.mode}, seed ${options.seed}): ${args.command}`,
    `${kills.length} kill -9 (${kills.length - groupKills} process, ${groupKills} process group), PostgreSQL outage ${options.outageSeconds} s, disk full ${args.disk === null ? `skipped (${run.skipped.find((skip) => skip.phase === 'disk-full')?.reason ?? '?'})` : 'yes'}; ${seconds(args.durationMs)} s in all`,
    '',
    table(
      [
        'ledger',
        'sent',
        'acknowledged',
        'ok (1 job, succeeded)',
        'lost',
        'duplicated',
        'stranded',
        'failed',
        '5xx',
        'never acknowledged',
        'stored without ack',
      ],
      [ledgerRow('mails (Message-ID)', check.mails), ledgerRow('uploads (job id)', check.uploads)],
    ),
    '',
    `Before the final restart (faults over, load stopped) ${settle.selfHealMs === null ? `jobs were still active after ${options.selfHealSeconds} s: ${describeActive(settle.beforeRestart)}` : `every job was final after ${seconds(settle.selfHealMs)} s`}. ` +
      (probes.length === 0
        ? ''
        : `Disk full mid-DATA: ${probes.length - lateProbes.length} of ${probes.length} answered within ${PROMPT_REPLY_SECONDS} s${lateProbes.length === 0 ? '' : `; late: ${lateProbes.map((probe) => `${probe.outcome} after ${(probe.replySeconds ?? 0).toFixed(1)} s`).join(', ')}`}.`),
    `Jobs at the end: ${Object.entries(check.jobStatuses)
      .map(([status, n]) => `${status} ${n}`)
      .join(', ')}; jobs matching no ledger item: ${check.unexpectedJobs}; ` +
      `after the final restart every job was final ${settle.settleMs === null ? `NOT within ${options.settleSeconds} s` : `after ${seconds(settle.settleMs)} s`}.`,
    '',
    table(['#', 'fault', 'at (s)', 'down (s)', 'first 250 after (s)', 'first 202 after (s)', 'backlog empty after (s)', 'notes'], faultRows),
    '',
    table(['phase', 'mail attempts', 'upload attempts', 'slowest mail reply (s)', 'slowest upload reply (s)'], phaseRows),
    '',
    args.serviceErrors.length === 0
      ? 'Service log: no error-level lines.'
      : `Service log, error-level lines by message: ${args.serviceErrors.map((entry) => `${entry.count} × ${entry.message}`).join('; ')}`,
    ...(settle.stuckBeforeRestart.length === 0 ? [] : [`Still active before the final restart: ${settle.stuckBeforeRestart.join('; ')}`]),
    '',
    `Result: ${passed ? 'PASS' : 'FAIL'} — mails: ${check.mails.lost} lost, ${check.mails.stranded} stranded, ${check.mails.duplicated} duplicated, ${check.mails.failed} failed, ${check.mails.refused5xx} bounced (5xx); ` +
      `uploads: ${check.uploads.lost} lost, ${check.uploads.stranded} stranded, ${check.uploads.duplicated} duplicated, ${check.uploads.failed} failed, ${check.uploads.refused5xx} refused` +
      (warnings.length === 0 ? '' : `\nWarnings: ${warnings.join('; ')}`),
  ].join('\n');
  const json = {
    command: args.command,
    options,
    passed,
    durationSeconds: args.durationMs / 1000,
    check,
    settle,
    faults,
    skipped: run.skipped,
    warnings,
    serviceErrors: args.serviceErrors,
    selfHealed: settle.selfHealMs !== null,
    lateMidDataReplies: lateProbes.length,
    outcomes: ledger.outcomes,
    slowestMs: ledger.slowest,
    midDataProbes: args.disk?.probes ?? null,
  };
  return { text, passed, json };
}

/** Writes the JSON result under bench/out/ (git-ignored); returns its path. */
export async function writeReport(outDir: string, report: ChaosReport): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `chaos-${new Date().toISOString().replaceAll(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(report.json, null, 2)}\n`);
  return file;
}
