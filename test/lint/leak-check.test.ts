import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { leakedSince, leaksAfterSettling, mochaTimer, runningResources } from '../support/leak-check.js';

// The root hook (test/support/root-hooks.ts) fails a test file that leaves these running; here,
// proof that each kind is seen while it runs and forgotten once closed.
describe('leak check (test/support/leak-check.ts)', () => {
  it('sees a listening server until it is closed', async function () {
    const measure = () => runningResources(() => false, mochaTimer(this));
    const before = measure();
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    assert.deepEqual(leakedSince(before, measure()), [`server on 127.0.0.1:${port}`]);
    await new Promise((resolve) => server.close(resolve));
    assert.deepEqual((await leaksAfterSettling(before, measure, 2_000)).leaks, []);
  });

  it('sees a child process until it has exited', async function () {
    const measure = () => runningResources(() => false, mochaTimer(this));
    const before = measure();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    assert.deepEqual(leakedSince(before, measure()), [`child process ${child.pid}: ${process.execPath} -e setTimeout(() => {}, 30000)`]);
    child.kill();
    await once(child, 'exit');
    assert.deepEqual((await leaksAfterSettling(before, measure, 2_000)).leaks, []);
  });

  it('sees a pending timer until it is cleared, and ignores unreferenced ones', function () {
    const measure = () => runningResources(() => false, mochaTimer(this));
    const before = measure();
    const interval = setInterval(() => {}, 60_000);
    assert.equal(leakedSince(before, measure()).length, 1);
    interval.unref();
    assert.deepEqual(leakedSince(before, measure()), []);
    clearInterval(interval);
  });
});
