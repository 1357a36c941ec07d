import type { IngestModule } from '../../../src/modules/types.js';
import { normalizeSubject } from '../../../src/modules/shared/text/normalize-subject.js';
import { loadInventory, type InventoryItem } from './load-inventory.js';
import { upsertInventory } from './upsert-inventory.js';

/** `Inventory report <site>`; the site is the job's group. */
const SUBJECT = /^inventory report\s+(\S+)/i;

function siteOf(subject: string | undefined): string | undefined {
  return SUBJECT.exec(normalizeSubject(subject ?? ''))?.[1];
}

/**
 * The example of docs/adding-a-module.md (`example/inventory`, test-only): a mail whose subject is
 * `Inventory report <site>` carries `inventory.csv` (sku, quantity); each SKU is one row per
 * customer, written idempotently. Small on purpose: every line is one of the checklist's steps.
 */
export const exampleModule = {
  category: 'example',
  type: 'inventory',
  version: 1,
  // Classification sees the hints the transport worked out once (the subject, decoded).
  matches: (facts) => siteOf(facts.hints['subject']) !== undefined,
  group: (facts) => siteOf(facts.hints['subject']) ?? 'unknown',
  parse: loadInventory,
  upsert: upsertInventory,
  defaults: { timeoutSeconds: 60 },
} satisfies IngestModule<readonly InventoryItem[]>;
