import { stopTestServer } from './test-database.js';

/** Mocha root hooks (loaded through .mocharc.json `require`). */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopTestServer();
  },
};
