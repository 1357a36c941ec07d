import type { Migration } from 'kysely';
import * as core from './0001-core.js';

/**
 * Every migration, in order. An explicit list (not a folder scan) so the same code runs under tsx
 * and from the compiled build. Released migrations are never edited: add a new one.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-core': core,
};
