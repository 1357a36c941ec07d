// Deterministic HYDRAstor alert and system-report mails (formats spec §1, §2) for benchmarks:
// the same seed and count always give the same bytes. Grids, nodes, event ids, severities and
// times vary with the seed; every mail is distinct (its own dedupe key and Message-ID).
//
//   npx tsx bench/generate-mails.ts --kind alert|system_report|mixed --count 10000 [--seed 1] [--to bench@ingest.bench.example] --out DIR
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { isMain } from './support/bench-context.js';
import { ustarArchive } from './support/ustar-archive.js';

export type MailKind = 'alert' | 'system_report' | 'mixed';

export interface GenerateMailsOptions {
  readonly kind: MailKind;
  readonly count: number;
  readonly seed: number;
  /** The envelope and `To:` recipient. */
  readonly to: string;
  /** Distinct grids the mails spread over (alerts of one grid serialize on its row). */
  readonly grids?: number;
}

export interface GeneratedMail {
  readonly kind: 'alert' | 'system_report';
  readonly index: number;
  /** RFC 5322 with CRLF line ends, as it travels over SMTP. */
  readonly text: string;
}

const DEFAULT_GRIDS = 16;
const FIRST_EVENT_MS = Date.UTC(2023, 0, 12, 15, 0, 0);
const SECONDS_BETWEEN_ALERTS = 7;
/** Noon in Tokyo, the day after the first alert. */
const FIRST_REPORT_MS = Date.UTC(2023, 0, 13, 3, 0, 0);
const DAY_MS = 86_400_000;
const GIB = 1024 ** 3;
const TOKYO_OFFSET_MS = 9 * 3600 * 1000;
const SEVERITIES = ['INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
const COMPONENTS = ['Disk (slot 3)', 'Disk (slot 7)', 'Power supply 2', 'Fan 1', 'Network port eth2', 'Replication'] as const;
const MESSAGES = [
  'Disk failure detected. Data rebuild started.',
  'Power supply redundancy lost.',
  'Fan speed below threshold.',
  'Link down on data port.',
  'Replication backlog above limit.',
] as const;
/** Every Nth alert is a Recovered mail clearing the previous alert of its grid and node. */
const RECOVERED_EVERY = 5;

/** mulberry32: small, fast and good enough to vary test data reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** `2023-01-13 11:42:00 +0900` (the mails' Date/Time), from a UTC instant. */
function tokyoStamp(utcMs: number): string {
  const local = new Date(utcMs + TOKYO_OFFSET_MS);
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} +0900`;
}

/** `2023-01-13T12:00:00+09:00` (the report CSVs' times). */
function isoTokyo(utcMs: number): string {
  return `${tokyoStamp(utcMs).slice(0, 19).replace(' ', 'T')}+09:00`;
}

function rfc2822(utcMs: number): string {
  const local = new Date(utcMs + TOKYO_OFFSET_MS);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][local.getUTCDay()];
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][local.getUTCMonth()];
  return `${day}, ${pad(local.getUTCDate())} ${month} ${local.getUTCFullYear()} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} +0900`;
}

interface Grid {
  readonly name: string;
  readonly serial: string;
  readonly nodes: readonly string[];
}

function gridAt(index: number): Grid {
  const storageNodes = 3 + (index % 6);
  return {
    name: `grid_${pad(index)}`,
    serial: `8A5-${pad(100 + index, 6)}`,
    nodes: ['AN001', 'AN002', ...Array.from({ length: storageNodes }, (_, node) => `SN${pad(node + 1, 3)}`)],
  };
}

function crlf(lines: readonly string[]): string {
  return `${lines.join('\r\n')}\r\n`;
}

function alertMail(args: {
  readonly index: number;
  readonly random: () => number;
  readonly grid: Grid;
  readonly to: string;
  readonly lastOpen: Map<string, string>;
}): string {
  const { grid, random } = args;
  const node = random() < 0.1 ? '-' : pick(random, grid.nodes);
  const nodeKey = `${grid.serial}/${node}`;
  const clears = args.index % RECOVERED_EVERY === RECOVERED_EVERY - 1 ? args.lastOpen.get(nodeKey) : undefined;
  const severity = clears === undefined ? pick(random, SEVERITIES) : 'INFO';
  const letter = severity === 'INFO' ? 'I' : severity === 'WARNING' ? 'W' : 'E';
  const eventId = `HS-${letter}${10_000 + Math.floor(random() * 90_000)}`;
  if (clears === undefined && letter !== 'I') args.lastOpen.set(nodeKey, eventId);
  else args.lastOpen.delete(nodeKey);
  const occurredMs = FIRST_EVENT_MS + args.index * SECONDS_BETWEEN_ALERTS * 1000;
  const summary = clears === undefined ? pick(random, MESSAGES) : 'Condition recovered.';
  const subjectNode = node === '-' ? '-' : node;
  return crlf([
    `From: HYDRAstor ${grid.name} <hydrastor@${grid.name}.bench.example>`,
    `To: ${args.to}`,
    `Subject: [HYDRAstor][${severity}] ${grid.name} ${eventId} ${subjectNode}: ${summary.replace(/\.$/, '')}`,
    `Date: ${rfc2822(occurredMs + 2000)}`,
    `Message-ID: <${args.index}.${eventId}.${node === '-' ? 'grid' : node}@${grid.name}.bench.example>`,
    'Content-Type: text/plain; charset="utf-8"',
    'Content-Transfer-Encoding: 7bit',
    'MIME-Version: 1.0',
    '',
    'HYDRAstor Alert Notification',
    `System Name          : ${grid.name}`,
    `System Serial Number : ${grid.serial}`,
    `Event ID             : ${eventId}`,
    `Severity             : ${severity}`,
    `Event Type           : ${clears === undefined ? 'Occurred' : 'Recovered'}`,
    `Date/Time            : ${tokyoStamp(occurredMs)}`,
    `Node                 : ${node}`,
    `Component            : ${pick(random, COMPONENTS)}`,
    `Message              : ${summary}`,
    ...(clears === undefined ? [] : [`Clears Event ID      : ${clears}`]),
    'Recommended Action   : See the HYDRAstor maintenance guide.',
  ]);
}

function csv(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return `${rows.map((row) => row.join(',')).join('\n')}\n`;
}

function systemReportMail(args: {
  readonly index: number;
  readonly random: () => number;
  readonly grid: Grid;
  readonly day: number;
  readonly to: string;
}): string {
  const { grid, random } = args;
  const reportMs = FIRST_REPORT_MS + args.day * DAY_MS;
  const reportTime = isoTokyo(reportMs);
  const totalGiB = 1_036_800;
  const usedGiB = Math.round(totalGiB * (0.4 + 0.5 * random()) * 100) / 100;
  const dedupe = (8 + random() * 12).toFixed(2);
  const nodes = grid.nodes.map((name, n) => {
    const disks = name.startsWith('AN') ? 2 : 12;
    const ok = random() < 0.05 ? disks - 1 : disks;
    return [
      name,
      name.slice(0, 2),
      ok === disks ? 'Normal' : 'Degraded',
      `SN2301${pad(n, 5)}`,
      'HS8-5000',
      '5.5.2',
      `10.20.${n >> 4}.${n + 1}`,
      disks,
      ok,
      'OK',
      'OK',
      'OK',
    ];
  });
  const files: Array<[string, string]> = [
    [
      'system.csv',
      csv([
        ['system_name', 'serial_number', 'model', 'software_version', 'report_time', 'overall_status', 'resiliency_level', 'timezone'],
        [grid.name, grid.serial, 'HS8-5000', '5.5.2', reportTime, 'Normal', 3, 'Asia/Tokyo'],
      ]),
    ],
    [
      'capacity.csv',
      csv([
        ['report_time', 'physical_total_bytes', 'physical_used_bytes', 'physical_free_bytes', 'logical_used_bytes', 'dedupe_ratio'],
        [reportTime, totalGiB * GIB, Math.round(usedGiB * GIB), Math.round((totalGiB - usedGiB) * GIB), Math.round(usedGiB * Number(dedupe) * GIB), dedupe],
      ]),
    ],
    [
      'nodes.csv',
      csv([
        [
          'node_name',
          'node_type',
          'status',
          'serial_number',
          'model',
          'software_version',
          'ip_address',
          'disks_total',
          'disks_ok',
          'cpu_status',
          'psu_status',
          'fan_status',
        ],
        ...nodes,
      ]),
    ],
    [
      'filesystems.csv',
      csv([
        ['fs_name', 'protocol', 'state', 'logical_used_bytes', 'physical_used_bytes', 'dedupe_ratio', 'quota_bytes'],
        ...[1, 2].map((n) => [
          `ost_lsu_prod${pad(n)}`,
          'OST',
          'Normal',
          Math.round(random() * 3e15),
          Math.round(random() * 2e14),
          (10 + random() * 8).toFixed(2),
          '',
        ]),
      ]),
    ],
    [
      'replication.csv',
      csv([
        ['source_fs', 'target_system', 'target_serial', 'target_fs', 'state', 'last_sync_time', 'backlog_bytes'],
        ['ost_lsu_prod01', 'dr_grid', '8A5-000999', 'ost_lsu_prod01', 'Normal', isoTokyo(reportMs - 480_000), 0],
      ]),
    ],
    [
      'alerts_active.csv',
      csv([
        ['occurred_at', 'severity', 'event_id', 'node_name', 'component', 'message'],
        [isoTokyo(reportMs - 64_800_000), 'WARNING', 'HS-E10431', grid.nodes[2] ?? 'SN001', 'Disk (slot 7)', '"Disk failure detected, rebuild started"'],
      ]),
    ],
  ];
  const attachment = gzipSync(ustarArchive(files)).toString('base64').replace(/.{76}/g, '$&\r\n').trimEnd().split('\r\n');
  const boundary = `=_bench_${pad(args.index, 8)}`;
  const stamp = reportTime.replaceAll(/[-:]/g, '');
  return crlf([
    `From: HYDRAstor ${grid.name} <hydrastor@${grid.name}.bench.example>`,
    `To: ${args.to}`,
    `Subject: [HYDRAstor] System Report: ${grid.name} (S/N ${grid.serial}) ${reportTime.slice(0, 10)}`,
    `Date: ${rfc2822(reportMs + 5000)}`,
    `Message-ID: <${stamp}.${grid.serial}.sysreport.${args.index}@${grid.name}.bench.example>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset="utf-8"',
    'Content-Transfer-Encoding: 7bit',
    '',
    'HYDRAstor System Report',
    '-----------------------',
    `System Name          : ${grid.name}`,
    `System Serial Number : ${grid.serial}`,
    'Model                : HS8-5000',
    'Software Version     : 5.5.2',
    `Report Time          : ${tokyoStamp(reportMs)}`,
    'Overall Status       : Normal',
    'Resiliency Level     : 3',
    '',
    '[Capacity]',
    `Physical Capacity Total (GiB) : ${totalGiB.toFixed(2)}`,
    `Physical Capacity Used  (GiB) : ${usedGiB.toFixed(2)}`,
    `Physical Capacity Free  (GiB) : ${(totalGiB - usedGiB).toFixed(2)}`,
    `Deduplication Ratio           : ${dedupe}`,
    '',
    `--${boundary}`,
    'Content-Type: application/gzip',
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="HSSysReport_${grid.serial}_${stamp}.tar.gz"`,
    '',
    ...attachment,
    '',
    `--${boundary}--`,
  ]);
}

/**
 * The mails one by one (nothing is held in memory beyond the current mail): alerts spread over
 * the grids in time order, system reports one per grid per day, or both interleaved (`mixed`:
 * one report per ten mails).
 */
export function* generateMails(options: GenerateMailsOptions): Generator<GeneratedMail, void, undefined> {
  const random = seededRandom(options.seed);
  const gridCount = options.grids ?? DEFAULT_GRIDS;
  const grids = Array.from({ length: gridCount }, (_, index) => gridAt(index));
  const lastOpen = new Map<string, string>();
  let reports = 0;
  for (let index = 0; index < options.count; index += 1) {
    const report = options.kind === 'system_report' || (options.kind === 'mixed' && index % 10 === 9);
    if (report) {
      const grid = grids[reports % gridCount]!;
      yield { kind: 'system_report', index, text: systemReportMail({ index, random, grid, day: Math.floor(reports / gridCount), to: options.to }) };
      reports += 1;
    } else {
      yield { kind: 'alert', index, text: alertMail({ index, random, grid: pick(random, grids), to: options.to, lastOpen }) };
    }
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      kind: { type: 'string', default: 'alert' },
      count: { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      to: { type: 'string', default: 'bench@ingest.bench.example' },
      grids: { type: 'string', default: String(DEFAULT_GRIDS) },
      out: { type: 'string' },
    },
  });
  if (values.out === undefined || !['alert', 'system_report', 'mixed'].includes(values.kind)) {
    console.error('usage: generate-mails.ts --kind alert|system_report|mixed --count N [--seed S] [--to ADDR] [--grids G] --out DIR');
    process.exit(64);
  }
  await mkdir(values.out, { recursive: true });
  let written = 0;
  for (const mail of generateMails({
    kind: values.kind as MailKind,
    count: Number(values.count),
    seed: Number(values.seed),
    to: values.to,
    grids: Number(values.grids),
  })) {
    await writeFile(path.join(values.out, `${pad(mail.index, 7)}-${mail.kind}.eml`), mail.text);
    written += 1;
  }
  console.log(`wrote ${written} mails to ${values.out}`);
}
