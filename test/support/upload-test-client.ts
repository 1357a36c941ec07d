import { readdir } from 'node:fs/promises';
import { request, type ClientRequest } from 'node:http';
import path from 'node:path';
import { sql } from 'kysely';
import type { TestService } from './start-test-service.js';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

export interface StreamingUpload {
  /** The open request: write chunks, end it, or destroy it (a client going away). */
  readonly request: ClientRequest;
  /** Settles when the server answers, whether or not the body was sent in full. */
  readonly answer: Promise<RawAnswer>;
  write(chunk: Uint8Array): Promise<void>;
}

/**
 * A hand-driven HTTP request (node:http, no connection pool), so a test decides when each part
 * of the body goes out and can see an answer that arrives before the body has ended.
 */
export function startStreamingUpload(args: { readonly url: string; readonly headers: Record<string, string> }): StreamingUpload {
  const target = new URL(args.url);
  // Keep-alive, as browsers and curl ask: with `Connection: close` the server would hang up right
  // after an early answer, while this client is still writing.
  const headers = { Connection: 'keep-alive', ...args.headers };
  const clientRequest = request({
    hostname: target.hostname,
    port: target.port,
    path: `${target.pathname}${target.search}`,
    method: 'POST',
    headers,
    agent: false,
  });
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    clientRequest.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) });
      });
      response.once('error', reject);
    });
    clientRequest.once('error', reject);
  });
  // A test that destroys the request on purpose handles the answer itself.
  answer.catch(() => undefined);
  // The headers go out at once, so the server may answer before any of the body is written.
  clientRequest.flushHeaders();
  return {
    request: clientRequest,
    answer,
    write: (chunk) => new Promise<void>((resolve, reject) => clientRequest.write(chunk, (error) => (error ? reject(error) : resolve()))),
  };
}

/** Bytes that start like a gzip stream (the content is never unpacked by these tests: the worker is off). */
export function gzipLike(bytes: number, fill = 0x41): Buffer {
  const buffer = Buffer.alloc(bytes, fill);
  buffer[0] = 0x1f;
  buffer[1] = 0x8b;
  return buffer;
}

/** Every file under inbox/ (job folders and arrivals in progress) and the number of jobs. */
export async function storedState(t: TestService): Promise<{ readonly files: string[]; readonly jobs: number }> {
  const inbox = path.join(t.dataRoot, 'inbox');
  const files = (await readdir(inbox, { recursive: true, withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(inbox, path.join(entry.parentPath, entry.name)))
    .sort();
  const { rows } = await sql<{ count: string }>`SELECT count(*) AS count FROM jobs`.execute(t.service.database.db);
  return { files, jobs: Number(rows[0]?.count ?? 0) };
}

export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
