import { parentPort } from 'node:worker_threads';
import { writeFolderBatch, type FolderBatchRequest } from './write-folder-batch.js';

// The folder worker's thread, started by SpoolFolderWriter: one batch at a time, in order.
parentPort?.on('message', (request: FolderBatchRequest) => {
  parentPort?.postMessage(writeFolderBatch(request));
});
