import { closeSync, openSync } from 'node:fs';
import type { StagedManifest } from '../staging/staged-manifest.js';
import { readSpoolRecordAt } from './spool-record.js';
import { writeSpooledFolderSync } from './write-spooled-folder-sync.js';

/** One record whose folder is due. */
export interface FolderTask {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
  readonly relativePath: string;
}

export type FolderOutcome = { readonly paths: string[]; readonly manifest: StagedManifest } | { readonly damaged: true };

export interface FolderBatchRequest {
  readonly id: number;
  readonly dataRoot: string;
  readonly tasks: readonly FolderTask[];
}

export interface FolderBatchReply {
  readonly id: number;
  readonly outcomes: readonly FolderOutcome[];
  readonly error?: { readonly message: string; readonly code?: string };
}

/**
 * What the folder worker (spool-folder-worker.ts) does with a drain batch: reads each record
 * from its segment and writes its job folder with blocking calls, one after the other. Stops at
 * the first folder that fails, as the asynchronous path does (the drain then retries the batch);
 * a record that no longer reads back is reported as damaged.
 */
export function writeFolderBatch(request: FolderBatchRequest): FolderBatchReply {
  const descriptors = new Map<string, number>();
  const outcomes: FolderOutcome[] = [];
  try {
    for (const task of request.tasks) {
      let descriptor = descriptors.get(task.file);
      if (descriptor === undefined) {
        descriptor = openSync(task.file, 'r');
        descriptors.set(task.file, descriptor);
      }
      const record = readSpoolRecordAt(descriptor, task.offset, task.length);
      if (record === undefined) outcomes.push({ damaged: true });
      else outcomes.push({ paths: writeSpooledFolderSync({ dataRoot: request.dataRoot, relativePath: task.relativePath, record }), manifest: record.manifest });
    }
    return { id: request.id, outcomes };
  } catch (error) {
    const { message, code } = error as { message?: string; code?: string };
    return { id: request.id, outcomes, error: { message: message ?? String(error), ...(typeof code === 'string' ? { code } : {}) } };
  } finally {
    for (const descriptor of descriptors.values()) closeSync(descriptor);
  }
}
