import { S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IngestError } from '../../src/core/ingest-error.js';
import { IncomingFolder } from '../../src/pipeline/staging/stage.js';
import { describeObject, fetchObjectInto, stagedObjectName } from '../../src/s3events/fetch-object.js';
import { BUCKET, startS3Emulator, type S3Emulator } from '../support/s3-test-env.js';

describe('fetchObjectInto / describeObject', () => {
  let env: S3Emulator;
  let dataRoot: string;

  before(async () => {
    env = await startS3Emulator();
    dataRoot = await mkdtemp(path.join(tmpdir(), 'dp-test-fetch-'));
  });
  after(async () => {
    await env?.stop();
    await rm(dataRoot, { recursive: true, force: true });
  });

  const rejection = async (promise: Promise<unknown>): Promise<IngestError> => {
    try {
      await promise;
    } catch (error) {
      return error as IngestError;
    }
    throw new Error('expected a rejection');
  };

  it('names staged objects by a generated name that keeps only known archive extensions', () => {
    assert.equal(stagedObjectName('a/b/Export 2023.TAR.GZ'), 'object.tar.gz');
    assert.equal(stagedObjectName('a/b/x.tgz'), 'object.tgz');
    assert.equal(stagedObjectName('a/b/x.zip'), 'object.zip');
    assert.equal(stagedObjectName('a/b/../../etc/passwd'), 'object.bin');
  });

  it('streams an object with If-Match and reports what it read; a wrong ETag is OBJECT_CHANGED, a missing key OBJECT_MISSING', async () => {
    const key = 'bobs_burgers/grid/file.zip';
    const { eTag } = await env.upload(key, 'zip bytes');
    const folder = await IncomingFolder.create(dataRoot);
    const fetched = await fetchObjectInto({ s3: env.s3, folder, bucket: BUCKET, key, eTag, maxBytes: 1000 });
    assert.deepEqual({ size: fetched.size, eTag: fetched.eTag, stagedName: fetched.stagedName }, { size: 9, eTag, stagedName: 'object.zip' });
    assert.equal(folder.files[0]?.originalName, 'file.zip');

    const changed = await rejection(
      fetchObjectInto({
        s3: env.s3,
        folder: await IncomingFolder.create(dataRoot),
        bucket: BUCKET,
        key,
        eTag: 'ffffffffffffffffffffffffffffffff',
        maxBytes: 1000,
      }),
    );
    assert.equal(changed.code, 'OBJECT_CHANGED');
    const missing = await rejection(
      fetchObjectInto({ s3: env.s3, folder: await IncomingFolder.create(dataRoot), bucket: BUCKET, key: 'nope/nope/nope.zip', maxBytes: 1000 }),
    );
    assert.equal(missing.code, 'OBJECT_MISSING');
    assert.equal(missing.transient, false);
    assert.equal((await rejection(describeObject({ s3: env.s3, bucket: BUCKET, key: 'nope/nope/nope.zip' }))).code, 'OBJECT_MISSING');
    assert.equal((await describeObject({ s3: env.s3, bucket: BUCKET, key })).eTag, eTag);
  });

  describe('against a misbehaving server', () => {
    let server: Server;
    let s3: S3Client;
    let respond: (request: IncomingMessage, response: ServerResponse) => void = () => undefined;

    before(async () => {
      server = createServer((request, response) => respond(request, response));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      s3 = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
    });
    after(async () => {
      s3?.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('fails transiently and leaves no file when the body stops short of Content-Length', async () => {
      respond = (_request, response) => {
        response.writeHead(200, { 'Content-Length': '100', ETag: '"abc"' });
        response.write(Buffer.alloc(50, 1));
        setTimeout(() => response.socket?.destroy(), 20);
      };
      const folder = await IncomingFolder.create(dataRoot);
      const error = await rejection(fetchObjectInto({ s3, folder, bucket: BUCKET, key: 'a/b/c.zip', eTag: 'abc', maxBytes: 1000 }));
      assert.equal(error.transient, true, `${error.code}: ${error.message}`);
      assert.deepEqual(await readdir(folder.dir), []);
      assert.deepEqual(folder.files, []);
    });

    it('refuses a response whose ETag is not the one asked for, and one larger than the limit before reading it', async () => {
      respond = (_request, response) => {
        response.writeHead(200, { 'Content-Length': '5', ETag: '"newer"' });
        response.end('hello');
      };
      const changed = await rejection(
        fetchObjectInto({ s3, folder: await IncomingFolder.create(dataRoot), bucket: BUCKET, key: 'a/b/c.zip', eTag: 'older', maxBytes: 1000 }),
      );
      assert.equal(changed.code, 'OBJECT_CHANGED');
      const tooLarge = await rejection(
        fetchObjectInto({ s3, folder: await IncomingFolder.create(dataRoot), bucket: BUCKET, key: 'a/b/c.zip', eTag: 'newer', maxBytes: 4 }),
      );
      assert.equal(tooLarge.code, 'ARRIVAL_TOO_LARGE');
    });

    it('maps 503 to a transient S3_UNAVAILABLE and 403 to a permanent S3_ACCESS_DENIED', async () => {
      respond = (_request, response) => {
        response.writeHead(503, { 'Content-Type': 'application/xml' });
        response.end('<Error><Code>SlowDown</Code><Message>slow down</Message></Error>');
      };
      const unavailable = await rejection(
        fetchObjectInto({ s3, folder: await IncomingFolder.create(dataRoot), bucket: BUCKET, key: 'a/b/c.zip', eTag: 'x', maxBytes: 10 }),
      );
      assert.deepEqual([unavailable.code, unavailable.transient], ['S3_UNAVAILABLE', true]);
      respond = (_request, response) => {
        response.writeHead(403, { 'Content-Type': 'application/xml' });
        response.end('<Error><Code>AccessDenied</Code><Message>no</Message></Error>');
      };
      const denied = await rejection(
        fetchObjectInto({ s3, folder: await IncomingFolder.create(dataRoot), bucket: BUCKET, key: 'a/b/c.zip', eTag: 'x', maxBytes: 10 }),
      );
      assert.deepEqual([denied.code, denied.transient], ['S3_ACCESS_DENIED', false]);
    });
  });
});
