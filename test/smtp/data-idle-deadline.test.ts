import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { DataIdleDeadline, PROGRESS_BYTES } from '../../src/smtp/data-idle-deadline.js';

describe('DataIdleDeadline', () => {
  it('counts only time spent waiting for the client, not time our reader is busy', async () => {
    let fired = 0;
    const idle = new DataIdleDeadline({
      idleMs: 150,
      onIdle: () => {
        fired += 1;
      },
    });
    idle.waiting();
    await delay(90);
    idle.stop();
    await delay(300);
    assert.equal(fired, 0, 'busy time does not count');
    idle.waiting();
    await delay(30);
    assert.equal(fired, 0);
    await delay(100);
    assert.equal(fired, 1, 'fires once 150 ms of waiting add up');
    assert.equal(idle.fired, true);
    idle.waiting();
    await delay(200);
    assert.equal(fired, 1, 'fires once');
  });

  it('restarts the clock for each PROGRESS_BYTES delivered, whatever the chunk sizes, and not for a trickle', async () => {
    let fired = 0;
    const idle = new DataIdleDeadline({
      idleMs: 150,
      onIdle: () => {
        fired += 1;
      },
    });
    for (let step = 0; step < 4; step += 1) {
      idle.waiting();
      await delay(100);
      // Two chunks that together cross the next multiple of PROGRESS_BYTES.
      idle.received(new Uint8Array(PROGRESS_BYTES / 2));
      idle.waiting();
      idle.received(new Uint8Array(PROGRESS_BYTES / 2));
    }
    assert.equal(fired, 0, 'steady progress keeps it alive');
    // A burst of many times PROGRESS_BYTES buys one period, not many.
    idle.received(new Uint8Array(PROGRESS_BYTES * 50));
    for (let step = 0; step < 4 && fired === 0; step += 1) {
      idle.waiting();
      await delay(60);
      idle.received(new Uint8Array(1));
    }
    idle.waiting();
    await delay(200);
    assert.equal(fired, 1, 'a byte-at-a-time trickle is idle');
    idle.stop();
  });
});
