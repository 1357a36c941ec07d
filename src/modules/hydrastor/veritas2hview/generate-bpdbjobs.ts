import { BPDBJOBS_COLUMNS } from './bpdbjobs-columns.js';

/**
 * Deterministic `bpdbjobs -report -most_columns` output for tests and benchmarks: the same seed
 * and options always give the same bytes. Jobs alternate between a HYDRAstor and an MSDP storage
 * unit, as in the small fixture, so correlation counts are predictable (half the jobs).
 */
export interface GenerateBpdbjobsOptions {
  readonly seed: number;
  readonly jobs: number;
  readonly firstJobId?: number;
  readonly firstStartEpochSeconds?: number;
  /** Every Nth job is still running (state 1, empty status, ended 0); 0 for none. */
  readonly runningEvery?: number;
  /** Every Nth job's path holds an escaped comma (`\,`); 0 for none. */
  readonly escapedCommaEvery?: number;
  /** Every Nth job's path holds a newline, so the record spans two lines; 0 for none. */
  readonly embeddedNewlineEvery?: number;
  /** Empty fields appended after the 59 documented ones, as newer NetBackup versions do. */
  readonly extraFields?: number;
  readonly lineEnding?: '\n' | '\r\n';
}

export const GENERATED_HYDRASTOR_STORAGE_UNIT = 'stu_hydra_icecream_machine';
export const GENERATED_OTHER_STORAGE_UNIT = 'stu_msdp';

const DEFAULTS = {
  firstJobId: 1000,
  firstStartEpochSeconds: 1_673_492_400,
  runningEvery: 25,
  escapedCommaEvery: 2,
  embeddedNewlineEvery: 0,
  extraFields: 3,
  lineEnding: '\n',
} as const;

const POLICIES = ['SQL_Prod', 'FS_Windows_Prod', 'FS_Linux_Prod', 'Oracle_Prod'] as const;
const SCHEDULES = ['Daily_Incr', 'Weekly_Full', 'Monthly_Full'] as const;
const SECONDS_BETWEEN_JOBS = 7;
const MAX_ELAPSED_SECONDS = 7200;
const MAX_KILOBYTES = 80_000_000;
const MAX_FILES = 500_000;

/** Whether the generated job at `index` (0-based) is running: lets tests predict counts. */
export function isGeneratedJobRunning(index: number, runningEvery: number = DEFAULTS.runningEvery): boolean {
  return runningEvery > 0 && (index + 1) % runningEvery === 0;
}

/** One string per job, each ending with the line ending (two physical lines for a multi-line job). */
export function* generateBpdbjobsRecords(options: GenerateBpdbjobsOptions): Generator<string, void, undefined> {
  const settings = { ...DEFAULTS, ...options };
  const random = mulberry32(options.seed);
  const fieldCount = BPDBJOBS_COLUMNS.length + settings.extraFields;
  for (let index = 0; index < options.jobs; index += 1) {
    const jobId = settings.firstJobId + index;
    const running = isGeneratedJobRunning(index, settings.runningEvery);
    const started = settings.firstStartEpochSeconds + index * SECONDS_BETWEEN_JOBS;
    const elapsed = 1 + Math.floor(random() * MAX_ELAPSED_SECONDS);
    const client = `fs${String(1 + Math.floor(random() * 40)).padStart(2, '0')}.acme.local`;
    const fields = new Array<string>(fieldCount).fill('');
    fields[0] = String(jobId);
    fields[1] = '0';
    fields[2] = running ? '1' : '3';
    fields[3] = running ? '' : random() < 0.9 ? '0' : '1';
    fields[4] = POLICIES[index % POLICIES.length] as string;
    fields[5] = SCHEDULES[index % SCHEDULES.length] as string;
    fields[6] = client;
    fields[7] = 'nbumedia01.acme.local';
    fields[8] = String(started);
    fields[9] = String(elapsed).padStart(10, '0');
    fields[10] = running ? '0' : String(started + elapsed);
    fields[11] = index % 2 === 0 ? GENERATED_HYDRASTOR_STORAGE_UNIT : GENERATED_OTHER_STORAGE_UNIT;
    fields[12] = '1';
    fields[13] = running ? '3' : '';
    fields[14] = String(Math.floor(random() * MAX_KILOBYTES));
    fields[15] = String(Math.floor(random() * MAX_FILES));
    fields[16] = pathLastWritten(index, settings);
    fields[17] = running ? String(Math.floor(random() * 100)) : '100';
    fields[18] = String(10_000 + Math.floor(random() * 90_000));
    fields[19] = 'root';
    fields[20] = '1';
    fields[21] = '13';
    fields[22] = '1';
    fields[23] = '0';
    fields[24] = 'root';
    fields[25] = 'nbumaster01.acme.local';
    fields[26] = '3';
    fields[27] = '30';
    fields[28] = '0';
    fields[31] = '1';
    fields[32] = '1';
    fields[33] = String(jobId);
    fields[34] = String(Math.floor(random() * 200_000));
    fields[35] = '1';
    fields[45] = '1';
    fields[46] = '1';
    fields[49] = '1';
    fields[51] = `${client}_${started + 1}`;
    fields[52] = '1';
    yield fields.join(',') + settings.lineEnding;
  }
}

/**
 * The same output as `generateBpdbjobsRecords`, as Buffers of about `chunkBytes` (records are not
 * split, so a chunk may exceed it by one record), the shape a file stream delivers.
 */
export function* generateBpdbjobsChunks(options: GenerateBpdbjobsOptions & { readonly chunkBytes?: number }): Generator<Buffer, void, undefined> {
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  let parts: string[] = [];
  let size = 0;
  for (const record of generateBpdbjobsRecords(options)) {
    parts.push(record);
    size += record.length;
    if (size >= chunkBytes) {
      yield Buffer.from(parts.join(''), 'utf8');
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield Buffer.from(parts.join(''), 'utf8');
}

function pathLastWritten(index: number, settings: Required<Omit<GenerateBpdbjobsOptions, 'seed' | 'jobs'>>): string {
  const every = (n: number): boolean => n > 0 && index % n === n - 1;
  if (every(settings.embeddedNewlineEvery)) return `/srv/data/report${settings.lineEnding}continued.log`;
  if (every(settings.escapedCommaEvery)) return 'C:\\Data\\Reports\\Q1\\, final.xlsx';
  return `/srv/data/file${index % 1000}.log`;
}

/** Small, fast, seedable PRNG (public domain); Math.random cannot be seeded. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
