import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IngestError } from '../../../src/core/ingest-error.js';
import { ensureFreeSpace } from '../../../src/pipeline/mail/ensure-free-space.js';

describe('ensureFreeSpace', () => {
  it('passes when there is room, measuring a folder not created yet at its parent', async () => {
    await ensureFreeSpace({ dir: path.join(tmpdir(), 'does-not-exist-yet', 'deeper'), neededBytes: 1 });
  });

  it('refuses with the transient STORAGE_LOW when there is not', async () => {
    await assert.rejects(
      ensureFreeSpace({ dir: tmpdir(), neededBytes: 2 ** 60 }),
      (error: unknown) => error instanceof IngestError && error.code === 'STORAGE_LOW' && error.transient,
    );
  });
});
