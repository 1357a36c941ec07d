// A prototype, outside src/, of durable acceptance with group commit, against today's
// per-message sequence, on the same disk and PostgreSQL: what the storage and the database allow
// when nothing else (SMTP, MIME parsing, logging) costs anything. 20 concurrent "sessions" each
// stage 5 KiB messages one after another and wait for the durable acknowledgement.
//
//   per-message  today's calls (src/pipeline/stage.ts, record-staged-folder.ts): message.eml and
//                body.txt each written to .part, fsynced, renamed; manifest the same; folder fsynced;
//                INSERT of the staging row (commit); rename into inbox/<path>; parent and
//                .incoming fsynced; UPDATE to queued (commit). 6 fsyncs + 2 commits per message.
//   group        files written without fsync; a batcher takes every message that arrived while
//                the previous batch was being flushed (no timer, like PostgreSQL's own group
//                commit), fsyncs all their files and folders at once, inserts the batch's rows in
//                one INSERT (one commit), renames, fsyncs each distinct parent folder once, marks
//                the batch queued in one UPDATE (one commit), then acknowledges every message.
//   spool        the durable copy is an append-only spool file shared by all sessions: each
//                message is appended; a batch is one fdatasync of the spool plus one INSERT of its
//                rows (one commit), then every message is acknowledged. Writing the job folders
//                (and their fsyncs, in bulk) happens after the acknowledgement, before the spool
//                segment is dropped; after a crash the spool is replayed. Not measured here: only
//                the acknowledgement path is.
//
//   npx tsx bench/group-commit-prototype.ts [--messages 4000] [--sessions 20] [--database-url URL]
//   UV_THREADPOOL_SIZE=16 npx tsx bench/group-commit-prototype.ts …   (libuv runs 4 fs calls at once by default)
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DEFAULT_SERVER_URL, makeWorkRoot } from './support/bench-context.js';
import { createScratchDatabase } from './support/scratch-database.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '4000' },
    sessions: { type: 'string', default: '20' },
    'max-batch': { type: 'string', default: '64' },
    'database-url': { type: 'string' },
  },
});
const MESSAGES = Number(values.messages);
const SESSIONS = Number(values.sessions);
const MAX_BATCH = Number(values['max-batch']);
const BODY = randomBytes(5120);

async function writeFile(file: string, data: Uint8Array, sync: boolean): Promise<void> {
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.write(data);
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface Staged {
  readonly id: string;
  readonly dir: string;
  readonly relativePath: string;
}

async function stageFiles(incoming: string, sync: boolean, sequence: number): Promise<Staged> {
  const id = randomUUID();
  const dir = path.join(incoming, id);
  await mkdir(dir);
  for (const name of ['message.eml', 'body.txt']) {
    await writeFile(path.join(dir, `${name}.part`), BODY, sync);
    await rename(path.join(dir, `${name}.part`), path.join(dir, name));
  }
  await writeFile(path.join(dir, 'manifest.json.part'), Buffer.from(JSON.stringify({ id, files: ['message.eml', 'body.txt'] })), sync);
  await rename(path.join(dir, 'manifest.json.part'), path.join(dir, 'manifest.json'));
  if (sync) await fsyncPath(dir);
  // All messages of one customer/module/group in one second share a parent, as in inbox/.
  return { id, dir, relativePath: `bench/hydrastor/alert/grid_${sequence % 4}/${Math.floor(Date.now() / 1000)}_${sequence}` };
}

async function perMessage(args: { readonly pool: pg.Pool; readonly inbox: string; readonly incoming: string; readonly sequence: number }): Promise<void> {
  const staged = await stageFiles(args.incoming, true, args.sequence);
  await args.pool.query('INSERT INTO staged (id, relative_path, status) VALUES ($1, $2, $3)', [staged.id, staged.relativePath, 'staging']);
  const target = path.join(args.inbox, staged.relativePath);
  await mkdir(path.dirname(target), { recursive: true });
  await rename(staged.dir, target);
  await fsyncPath(path.dirname(target));
  await fsyncPath(args.incoming);
  await args.pool.query("UPDATE staged SET status = 'queued' WHERE id = $1", [staged.id]);
}

/** Collects staged messages and flushes them together; one flush at a time. */
class GroupCommitter {
  #waiting: Array<{ staged: Staged; done: () => void; failed: (error: unknown) => void }> = [];
  #flushing = false;
  readonly batchSizes: number[] = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly inbox: string,
    private readonly incoming: string,
  ) {}

  commit(staged: Staged): Promise<void> {
    return new Promise((done, failed) => {
      this.#waiting.push({ staged, done, failed });
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#waiting.length === 0) return;
    this.#flushing = true;
    const batch = this.#waiting.splice(0, MAX_BATCH);
    this.batchSizes.push(batch.length);
    try {
      const items = batch.map((entry) => entry.staged);
      await Promise.all(
        items.flatMap((item) => [...['message.eml', 'body.txt', 'manifest.json'].map((name) => fsyncPath(path.join(item.dir, name))), fsyncPath(item.dir)]),
      );
      await this.pool.query('INSERT INTO staged (id, relative_path, status) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])', [
        items.map((item) => item.id),
        items.map((item) => item.relativePath),
        items.map(() => 'staging'),
      ]);
      const parents = new Set<string>();
      for (const item of items) {
        const target = path.join(this.inbox, item.relativePath);
        parents.add(path.dirname(target));
        await mkdir(path.dirname(target), { recursive: true });
        await rename(item.dir, target);
      }
      await Promise.all([...parents, this.incoming].map(fsyncPath));
      await this.pool.query("UPDATE staged SET status = 'queued' WHERE id = ANY($1::uuid[])", [items.map((item) => item.id)]);
      for (const entry of batch) entry.done();
    } catch (error) {
      for (const entry of batch) entry.failed(error);
    } finally {
      this.#flushing = false;
      void this.#flush();
    }
  }
}

/** One shared append-only file: `<id> <length>\n<bytes>` records, one fdatasync per batch. */
class SpoolCommitter {
  #waiting: Array<{ staged: Staged; done: () => void; failed: (error: unknown) => void }> = [];
  #flushing = false;
  readonly batchSizes: number[] = [];

  private constructor(
    private readonly pool: pg.Pool,
    private readonly spool: FileHandle,
  ) {}

  static async open(pool: pg.Pool, file: string): Promise<SpoolCommitter> {
    return new SpoolCommitter(pool, await open(file, 'a', 0o600));
  }

  async commit(staged: Staged, bytes: Uint8Array): Promise<void> {
    // One write call per record: O_APPEND keeps concurrent records whole.
    await this.spool.write(Buffer.concat([Buffer.from(`${staged.id} ${bytes.byteLength}\n`), bytes]));
    return new Promise((done, failed) => {
      this.#waiting.push({ staged, done, failed });
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#waiting.length === 0) return;
    this.#flushing = true;
    const batch = this.#waiting.splice(0, MAX_BATCH);
    this.batchSizes.push(batch.length);
    try {
      const items = batch.map((entry) => entry.staged);
      await this.spool.datasync();
      await this.pool.query('INSERT INTO staged (id, relative_path, status) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])', [
        items.map((item) => item.id),
        items.map((item) => item.relativePath),
        items.map(() => 'queued'),
      ]);
      for (const entry of batch) entry.done();
    } catch (error) {
      for (const entry of batch) entry.failed(error);
    } finally {
      this.#flushing = false;
      void this.#flush();
    }
  }

  close(): Promise<void> {
    return this.spool.close();
  }
}

async function drive(body: (sequence: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SESSIONS }, async () => {
      while (next < MESSAGES) await body(next++);
    }),
  );
  return MESSAGES / ((performance.now() - started) / 1000);
}

const workRoot = await makeWorkRoot();
const database = await createScratchDatabase(values['database-url'] ?? process.env.DATABASE_URL ?? DEFAULT_SERVER_URL, 'dp_group_commit');
const pool = new pg.Pool({ connectionString: database.url, max: 10 });
try {
  await pool.query(
    'CREATE TABLE staged (id uuid PRIMARY KEY, relative_path text UNIQUE NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
  );
  for (const mode of ['per-message', 'group', 'spool', 'per-message', 'group', 'spool'] as const) {
    const root = path.join(workRoot, `${mode}-${randomUUID()}`);
    const inbox = path.join(root, 'inbox');
    const incoming = path.join(inbox, '.incoming');
    await mkdir(incoming, { recursive: true });
    await pool.query('TRUNCATE staged');
    const committer = new GroupCommitter(pool, inbox, incoming);
    const spool = await SpoolCommitter.open(pool, path.join(root, 'spool.log'));
    const rate = await drive(
      mode === 'per-message'
        ? (sequence) => perMessage({ pool, inbox, incoming, sequence })
        : mode === 'group'
          ? async (sequence) => committer.commit(await stageFiles(incoming, false, sequence))
          : (sequence) =>
              spool.commit(
                { id: randomUUID(), dir: '', relativePath: `bench/hydrastor/alert/grid_${sequence % 4}/${Math.floor(Date.now() / 1000)}_${sequence}` },
                BODY,
              ),
    );
    await spool.close();
    const rows = Number((await pool.query<{ n: string }>("SELECT count(*) AS n FROM staged WHERE status = 'queued'")).rows[0]?.n);
    const batches = mode === 'group' ? committer.batchSizes : spool.batchSizes;
    console.log(
      `${mode.padEnd(11)} ${rate.toFixed(0).padStart(6)} msg/s  (${MESSAGES} messages, ${SESSIONS} sessions, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4}, rows queued ${rows}${batches.length === 0 ? '' : `, ${batches.length} batches, mean ${(MESSAGES / batches.length).toFixed(1)} msgs`})`,
    );
    await rm(root, { recursive: true, force: true });
  }
} finally {
  await pool.end();
  await database.drop();
  await rm(workRoot, { recursive: true, force: true });
}
