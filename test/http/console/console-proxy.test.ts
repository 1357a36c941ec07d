import assert from 'node:assert/strict';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';

/** A browser's sign-in form, as it reaches the service through a proxy that terminated TLS. */
async function signInThroughProxy(base: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${base}/console/sign-in`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ key: TEST_ADMIN_KEY }),
    redirect: 'manual',
  });
}

const PROXY_HEADERS = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'hview.example.com', Origin: 'https://hview.example.com' };

describe('the console behind a reverse proxy that terminates TLS (http.trustProxy)', function () {
  this.timeout(60_000);

  describe('trusted', () => {
    let t: TestService;
    before(async () => {
      t = await startTestService({ overrides: { worker: { enabled: false }, http: { trustProxy: true } } });
    });
    after(async () => t?.stop());

    it('signs in with the https origin the browser used, and the session cookie is Secure', async () => {
      const response = await signInThroughProxy(t.service.httpUrl!, PROXY_HEADERS);
      assert.equal(response.status, 303, await response.text());
      const cookie = response.headers.get('set-cookie') ?? '';
      assert.match(cookie, /^dp_console=/);
      assert.match(cookie, /;\s*secure/i);
      assert.match(cookie, /;\s*httponly/i);
    });

    it('still refuses a form from another origin', async () => {
      const response = await signInThroughProxy(t.service.httpUrl!, { ...PROXY_HEADERS, Origin: 'https://evil.example' });
      assert.equal(response.status, 403);
      assert.equal(response.headers.get('set-cookie'), null);
    });
  });

  describe('not trusted (the default)', () => {
    let t: TestService;
    before(async () => {
      t = await startTestService({ overrides: { worker: { enabled: false } } });
    });
    after(async () => t?.stop());

    it('ignores forwarded headers: the https origin is not this service, and no cookie claims Secure', async () => {
      assert.equal(t.config.http.trustProxy, false);
      const refused = await signInThroughProxy(t.service.httpUrl!, PROXY_HEADERS);
      assert.equal(refused.status, 403, 'a client cannot make itself https by a header');
      const direct = await signInThroughProxy(t.service.httpUrl!, { Origin: new URL(t.service.httpUrl!).origin });
      assert.equal(direct.status, 303);
      assert.doesNotMatch(direct.headers.get('set-cookie') ?? '', /;\s*secure/i);
    });
  });
});
