import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stageUploadBody } from '../../../src/http/uploads/stage-upload-body.js';
import { IncomingFolder } from '../../../src/pipeline/staging/stage.js';
import { gzipLike, startStreamingUpload } from '../../support/upload-test-client.js';

const IDLE_MS = 300;

describe('stageUploadBody', () => {
  let dataRoot: string;
  let server: Server;
  let url: string;
  type Outcome = { files: string[]; error?: unknown; size?: number };
  let deliver: ((outcome: Promise<Outcome>) => void) | undefined;
  /** The next request's outcome, as the server sees it. */
  const nextOutcome = (): Promise<Outcome> =>
    new Promise((resolve) => {
      deliver = (outcome) => resolve(outcome);
    });

  before(async () => {
    dataRoot = await mkdtemp(path.join(tmpdir(), 'dp-stage-upload-'));
    server = createServer((req, res) => {
      deliver?.(
        (async () => {
          const folder = await IncomingFolder.create(dataRoot);
          try {
            // A slow disk: the fsync after the last byte outlasts the idle limit.
            const slowFolder = {
              writeFile: async (args: Parameters<IncomingFolder['writeFile']>[0]) => {
                const file = await folder.writeFile(args);
                await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2));
                return file;
              },
            } as unknown as IncomingFolder;
            const target = req.headers['x-slow-fsync'] === undefined ? folder : slowFolder;
            const file = await stageUploadBody({
              req,
              folder: target,
              maxBytes: 1 << 20,
              fileName: undefined,
              onProgress: () => undefined,
              idleTimeoutMs: IDLE_MS,
            });
            res.end('{"ok":true}');
            return { files: await readdir(folder.dir), size: file.size };
          } catch (error) {
            res.destroy();
            return { files: await readdir(folder.dir), error };
          }
        })(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('cuts off a client that goes silent mid-upload and removes the partial file', async () => {
    const outcome = nextOutcome();
    const streaming = startStreamingUpload({ url, headers: { 'Content-Length': '100000' } });
    await streaming.write(gzipLike(1000));
    const started = Date.now();
    const result = await outcome;
    assert.ok(Date.now() - started >= IDLE_MS - 50, 'waited for the idle limit');
    assert.equal((result.error as { code?: string }).code, 'UPLOAD_STALLED');
    assert.deepEqual(result.files, [], 'no partial file left');
    streaming.request.destroy();
  });

  it('does not time out once the last byte is in, however long the fsync takes', async () => {
    const outcome = nextOutcome();
    const streaming = startStreamingUpload({ url, headers: { 'Content-Length': '1000', 'X-Slow-Fsync': '1' } });
    await streaming.write(gzipLike(1000));
    streaming.request.end();
    const result = await outcome;
    assert.equal(result.error, undefined);
    assert.deepEqual([result.files, result.size], [['upload.tar.gz'], 1000]);
    const answer = await streaming.answer;
    assert.deepEqual([answer.status, answer.body], [200, { ok: true }], 'the connection outlived the idle limit');
  });
});
