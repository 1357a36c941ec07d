import { createHash } from 'node:crypto';
import type { JobSource } from '../db/database-schema.js';
import { findCustomerBySlug } from '../db/customers-repository.js';
import type { ArrivalFacts } from '../core/arrival-facts.js';
import type { StagedFile } from '../core/staged-file.js';
import { IngestError, toIngestError } from '../core/ingest-error.js';
import type { PipelineDeps } from './pipeline-deps.js';
import { recordFailedArrival } from './staging/record-failed-arrival.js';
import { recordStagedFolder, type AcceptResult } from './staging/record-staged-folder.js';
import { MemoryFolder } from './spool/memory-folder.js';
import { IncomingFolder } from './staging/stage.js';
import type { StagedManifest } from './staging/staged-manifest.js';
import type { StagingFolder } from './staging/staging-folder.js';

export const UNCLASSIFIED_CATEGORY = 'unclassified';

/** One arrival from any transport, before it is staged. */
export interface Arrival {
  readonly source: JobSource;
  readonly customer: string;
  readonly receivedAt?: Date;
  /** Where it came from: Message-ID and envelope, bucket/key/version/ETag, request id… Kept on the job. */
  readonly sourceRef?: Readonly<Record<string, unknown>>;
  /** Facts for classification and display: subject, sender, recipient, key… */
  readonly hints?: Readonly<Record<string, string>>;
  /** `<category>/<type>` when the transport knows it (bucket route, API trigger, CLI --type). */
  readonly moduleKey?: string;
  /** The seed's `<group>` when the transport knows it (S3 key's grid segment, CLI --group). */
  readonly group?: string;
  /** Unique per arrival. Default: a hash of the customer, the module and every file's content. */
  readonly idempotencyKey?: string;
  /**
   * Writes the original(s), untouched, into the incoming folder. May return more hints learnt
   * from the content (a mail's subject and sender), merged over `hints` for classification.
   */
  writeFiles(folder: StagingFolder): Promise<void | Readonly<Record<string, string>>>;
  /**
   * The arrival is small and already in memory (a mail of a few KiB): the pipeline may spool it
   * instead of writing its folder before the acknowledgement. writeFiles must then work on any
   * folder, memory included, and may be called once only.
   */
  readonly spoolable?: boolean;
  /**
   * Set when the arrival can never run (an announced object that is gone, or too large): its
   * files are a note saying why, and its job is recorded `failed` with this error, filed under
   * `moduleKey` but never classified. Same door, same idempotency, same inbox rules.
   */
  readonly failure?: IngestError;
}

export type { AcceptResult };

/**
 * The single entry of the pipeline for SMTP, S3 events, the REST trigger and the CLI:
 * stage the original durably, classify it, record the job. Resolves only when the arrival is
 * durable and its job committed; the caller acknowledges after that. A duplicate arrival
 * resolves with the existing job. Failures reject with an IngestError (transient or not).
 *
 * Two ways to durable: a small arrival held in memory (`spoolable`) is appended to the spool
 * with others and acknowledged after one fdatasync and one INSERT for the whole batch, its job
 * folder written just after (see spool/); any other arrival gets its folder written and fsynced
 * first (IncomingFolder), then its row.
 */
export async function acceptArrival(deps: PipelineDeps, arrival: Arrival): Promise<AcceptResult> {
  await ensureCustomer(deps, arrival.customer);
  const spool = deps.spool;
  if (arrival.spoolable === true && arrival.failure === undefined && spool !== undefined && spool.accepting()) {
    const folder = new MemoryFolder();
    try {
      const manifest = await describeArrival(deps, arrival, folder, await arrival.writeFiles(folder));
      return await spool.commit({ manifest, contents: folder.contents() });
    } catch (error) {
      throw toIngestError(error);
    }
  }

  const folder = await IncomingFolder.create(deps.config.dataRoot).catch((error: unknown) => {
    throw toIngestError(error);
  });
  let recorded: AcceptResult;
  try {
    const manifest = await describeArrival(deps, arrival, folder, await arrival.writeFiles(folder));
    await folder.complete(manifest);
    const message = `received via ${arrival.source}${arrival.failure === undefined ? '' : `; cannot run: ${arrival.failure.code}`}`;
    recorded = await recordStagedFolder(deps, { incomingDir: folder.dir, manifest, message });
  } catch (error) {
    // Never acknowledged, so nothing is promised: leave no partial folder behind.
    await folder.discard().catch(() => undefined);
    throw toIngestError(error);
  }
  return arrival.failure === undefined ? recorded : recordFailedArrival(deps, { recorded, failure: arrival.failure });
}

/** Classifies a written arrival and says everything the job row and manifest.json need. */
async function describeArrival(
  deps: PipelineDeps,
  arrival: Arrival,
  folder: StagingFolder,
  learnt: void | Readonly<Record<string, string>>,
): Promise<StagedManifest> {
  const hints = { ...arrival.hints, ...(learnt ?? {}) };
  const facts: ArrivalFacts = {
    source: arrival.source,
    customer: arrival.customer,
    files: folder.files,
    hints,
    readHead: async (file, maxBytes) => folder.readHead(file.name, maxBytes),
  };
  const failure = arrival.failure;
  const module =
    failure !== undefined ? undefined : arrival.moduleKey === undefined ? await deps.registry.classify(facts) : deps.registry.get(arrival.moduleKey);
  if (failure === undefined && arrival.moduleKey !== undefined && module === undefined) {
    throw new IngestError('MODULE_UNKNOWN', `no module "${arrival.moduleKey}"; known: ${deps.registry.keys().join(', ') || 'none'}`, { expose: true });
  }
  // A failed arrival is filed under the module it was meant for, unclassified so it never runs.
  const [intendedCategory, intendedType] = failure === undefined ? [] : (arrival.moduleKey ?? '').split('/');
  const category = module?.category ?? (intendedCategory || UNCLASSIFIED_CATEGORY);
  const type = module?.type ?? (intendedType || arrival.source);
  const group = cleanText(arrival.group ?? (await module?.group(facts)) ?? '') || 'none';
  return {
    manifestVersion: 1,
    stagingId: folder.id,
    idempotencyKey: withoutNul(arrival.idempotencyKey ?? contentKey(arrival.customer, `${category}/${type}`, folder.files)) as string,
    source: arrival.source,
    sourceRef: withoutNul({ ...arrival.sourceRef, ...(failure === undefined ? {} : { failure: { code: failure.code, message: failure.message } }) }) as Record<
      string,
      unknown
    >,
    hints: withoutNul(hints) as Record<string, string>,
    customer: arrival.customer,
    category,
    type,
    group,
    classified: module !== undefined,
    receivedAt: (arrival.receivedAt ?? new Date()).toISOString(),
    node: deps.config.node.name,
    files: withoutNul(folder.files) as StagedManifest['files'],
  };
}

/**
 * Unknown and disabled customers are refused before anything is written. A customer found stays known for a
 * few seconds: every message of a burst would otherwise cost one more query (the SMTP listener
 * already resolved it from its own cache).
 */
async function ensureCustomer(deps: PipelineDeps, slug: string): Promise<void> {
  const knownUntil = knownCustomers.get(slug);
  if (knownUntil !== undefined && knownUntil > Date.now()) return;
  const customer = await findCustomerBySlug(deps.db, slug).catch((error: unknown) => {
    throw toIngestError(error);
  });
  if (customer === undefined) throw new IngestError('CUSTOMER_UNKNOWN', `no customer "${slug}"`, { expose: true });
  // Every way in (S3 events, the webhook, CLI ingest, replay) refuses a disabled customer, as SMTP and uploads do.
  if (customer.disabled_at !== null) throw new IngestError('CUSTOMER_DISABLED', `customer "${slug}" is disabled`);
  if (knownCustomers.size > 10_000) knownCustomers.clear();
  knownCustomers.set(slug, Date.now() + CUSTOMER_KNOWN_MS);
}

const CUSTOMER_KNOWN_MS = 5000;
const knownCustomers = new Map<string, number>();

const MAX_GROUP_CHARS = 200;

/** PostgreSQL text and jsonb refuse NUL; control characters have no place in a group name. */
function cleanText(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, MAX_GROUP_CHARS);
}

function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('\u0000', '');
  if (Array.isArray(value)) return value.map(withoutNul);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.replaceAll('\u0000', ''), withoutNul(inner)]));
  }
  return value;
}

function contentKey(customer: string, moduleKey: string, files: readonly StagedFile[]): string {
  const hash = createHash('sha256').update(customer).update('\0').update(moduleKey);
  for (const file of files) hash.update('\0').update(file.name).update('\0').update(file.sha256);
  return `sha256:${hash.digest('hex')}`;
}
