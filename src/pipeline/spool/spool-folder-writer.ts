import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logging/logging.js';
import type { FolderBatchReply, FolderOutcome, FolderTask } from './write-folder-batch.js';

/** The worker's module beside this one: `.ts` when the sources run through tsx, `.js` when compiled. */
const SOURCES = path.extname(fileURLToPath(import.meta.url)) === '.ts';
const WORKER_URL = new URL(`./spool-folder-worker${SOURCES ? '.ts' : '.js'}`, import.meta.url);
/** A worker that dies this many times in a row (e.g. cannot even start) is not started again: the drain keeps the asynchronous path. */
const MAX_DEATHS_IN_A_ROW = 3;

interface Pending {
  readonly resolve: (reply: FolderBatchReply) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Writes a drain batch's job folders on one worker thread with blocking fs calls
 * (write-folder-batch.ts), so the event loop, which runs the SMTP sessions, only posts the
 * batch and reads back the paths. When the worker is gone (died, or stopped), `write` says so
 * by returning undefined and the drain uses its asynchronous path; the next batch starts a new
 * worker. Stopped with the spool.
 */
export class SpoolFolderWriter {
  readonly #logger: Logger;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #nextId = 0;
  #deathsInARow = 0;
  #closed = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * Writes the folders of `tasks` in order, stopping at the first that fails (thrown, as by the
   * asynchronous path). Undefined when no worker could do it: nothing can be assumed written.
   */
  async write(dataRoot: string, tasks: readonly FolderTask[]): Promise<FolderOutcome[] | undefined> {
    const worker = this.#running();
    if (worker === undefined) return undefined;
    const id = ++this.#nextId;
    let reply: FolderBatchReply;
    try {
      reply = await new Promise<FolderBatchReply>((resolve, reject) => {
        this.#pending.set(id, { resolve, reject });
        // Only a batch in progress keeps the process alive, as the asynchronous calls would.
        worker.ref();
        worker.postMessage({ id, dataRoot, tasks });
      });
    } catch {
      return undefined;
    }
    this.#deathsInARow = 0;
    if (reply.error !== undefined) throw Object.assign(new Error(reply.error.message), reply.error.code === undefined ? {} : { code: reply.error.code });
    return [...reply.outcomes];
  }

  /** Ends the worker (at the spool's stop, once the drain has ended). */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #running(): Worker | undefined {
    if (this.#closed || this.#deathsInARow >= MAX_DEATHS_IN_A_ROW) return undefined;
    this.#worker ??= this.#start();
    return this.#worker;
  }

  #start(): Worker {
    // A small young generation: the worker's garbage is one batch's record buffers, and its
    // heap counts against the service's memory target (issue #16).
    const options = { resourceLimits: { maxYoungGenerationSizeMb: 4 } };
    const worker = SOURCES ? new Worker(throughTsx(WORKER_URL), { ...options, eval: true }) : new Worker(WORKER_URL, options);
    worker.unref();
    worker.on('message', (reply: FolderBatchReply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      pending?.resolve(reply);
    });
    worker.on('error', (error) => {
      this.#logger.warn('the spool folder worker failed; the drain writes folders asynchronously until a new one runs', { error: String(error) });
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined;
      if (!this.#closed) {
        this.#deathsInARow += 1;
        if (this.#deathsInARow >= MAX_DEATHS_IN_A_ROW)
          this.#logger.error('the spool folder worker keeps dying; the drain writes folders asynchronously from now on', { code });
      }
      for (const pending of this.#pending.values()) pending.reject(new Error(`the spool folder worker exited (${code})`));
      this.#pending.clear();
    });
    return worker;
  }
}

/** A worker's code that loads a TypeScript module: tsx's loader, registered from the command line, is not active in worker threads. */
function throughTsx(module: URL): string {
  // tsx's ESM API (its CommonJS build cannot load the ESM hooks), found through its package's exports.
  const manifestFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(manifestFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports;
  const api = pathToFileURL(path.join(path.dirname(manifestFile), exports['./esm/api']?.import.default ?? 'dist/esm/api/index.mjs')).href;
  return `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); });`;
}
