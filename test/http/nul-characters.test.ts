import assert from 'node:assert/strict';
import net from 'node:net';
import { API_PREFIX } from '../../src/http/create-app.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../support/start-test-service.js';
import { apiClient, type ApiResponse } from '../support/http-client.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const WEBHOOK_TOKEN = 'webhook-token-0123456789';
const NUL_VALUE = 'a\u0000b';
/** Plausible values for the other path parameters, so only the one under test carries the NUL. */
const SAMPLE_PATH_VALUES: Readonly<Record<string, string>> = {
  slug: 'bobs_burgers',
  id: '00000000-0000-4000-8000-000000000000',
  category: 'test',
  type: 'echo',
  name: 'instruction.json',
  uploadId: 'upload-00000001',
  file: 'x.js',
};

interface Probe {
  readonly what: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  /** The field the 400 must name. */
  readonly field: string;
}

describe('a NUL character in any parameter is a 400 naming it, never a 500', function () {
  this.timeout(120_000);
  let t: TestService;
  let document: any;

  before(async () => {
    t = await startTestService({
      customers: ['bobs_burgers'],
      overrides: { worker: { enabled: false }, http: { rateLimit: { pointsPerSecond: 0 } }, s3: { webhook: { token: WEBHOOK_TOKEN } } },
    });
    document = (await apiClient(t.service.httpUrl!, null).get(`${API_PREFIX}/openapi.json`)).body;
  });
  after(async () => {
    await t?.stop();
  });

  /** Every path, query and JSON body parameter of every documented operation, each in turn holding a NUL. */
  function probes(): Probe[] {
    const out: Probe[] = [];
    for (const [documentedPath, item] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (operation === undefined) continue;
        const parameters = (operation.parameters ?? []) as Array<{ in: string; name: string }>;
        const pathWith = (nulIn?: string): string =>
          documentedPath.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(name === nulIn ? NUL_VALUE : (SAMPLE_PATH_VALUES[name] ?? 'sample')));
        const what = (detail: string): string => `${method.toUpperCase()} ${documentedPath} ${detail}`;
        for (const parameter of parameters) {
          if (parameter.in === 'path') out.push({ what: what(`path ${parameter.name}`), method, path: pathWith(parameter.name), field: parameter.name });
          if (parameter.in === 'query')
            out.push({
              what: what(`query ${parameter.name}`),
              method,
              path: `${pathWith()}?${parameter.name}=${encodeURIComponent(NUL_VALUE)}`,
              field: parameter.name,
            });
        }
        const schema = resolve(operation.requestBody?.content?.['application/json']?.schema);
        if (schema?.type === 'object') {
          for (const [property, propertySchema] of Object.entries(schema.properties ?? {}) as Array<[string, any]>) {
            const inner = resolve(propertySchema);
            // Arrays get the NUL in an element, objects in a member: the 400 names the exact spot.
            const [value, field] =
              inner?.type === 'array'
                ? [[NUL_VALUE], `${property}.0`]
                : inner?.type === 'object'
                  ? [{ customer: NUL_VALUE }, `${property}.customer`]
                  : [NUL_VALUE, property];
            out.push({ what: what(`body ${field}`), method, path: pathWith(), body: { [property]: value }, field });
          }
        }
      }
    }
    return out;
  }

  function resolve(schema: any): any {
    if (schema?.$ref === undefined) return schema;
    return document.components.schemas[String(schema.$ref).split('/').pop()!];
  }

  async function send(probe: Probe): Promise<ApiResponse> {
    const headers: Record<string, string> = probe.path.includes('/s3/events') ? { Authorization: `Bearer ${WEBHOOK_TOKEN}` } : { 'X-Api-Key': TEST_ADMIN_KEY };
    if (probe.body !== undefined) headers['Content-Type'] = 'application/json';
    return apiClient(t.service.httpUrl!, null).raw(probe.path, {
      method: probe.method.toUpperCase(),
      headers,
      ...(probe.body === undefined ? {} : { body: JSON.stringify(probe.body) }),
    });
  }

  it('walks every documented route: each path, query and body parameter with a NUL is refused with 400 naming it', async () => {
    const all = probes();
    assert.ok(all.length >= 40, `found ${all.length} parameters`);
    for (const name of ['customer', 'status', 'q', 'slug', 'id', 'uploadId', 'ingestAddresses.0', 'filter.customer', 'label']) {
      assert.ok(
        all.some((probe) => probe.field === name),
        `the walk covers ${name}`,
      );
    }
    const wrong: string[] = [];
    for (const probe of all) {
      const response = await send(probe);
      const ok =
        response.status === 400 &&
        response.body?.error?.code === 'BAD_REQUEST' &&
        String(response.body.error.message).startsWith(`${probe.field}: must not contain a NUL`);
      if (!ok) wrong.push(`${probe.what}: ${response.status} ${response.text.slice(0, 200)}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('refuses a NUL in a query parameter name, in a route without parameters, and in a JSON key', async () => {
    const admin = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const unknownKey = await admin.get(`${API_PREFIX}/jobs?a%00b=1`);
    assert.equal(unknownKey.status, 400);
    const noRoute = await admin.get(`${API_PREFIX}/no%00such/route`);
    assert.equal(noRoute.status, 400);
    assert.match(noRoute.body.error.message, /^path: must not contain a NUL/);
    const key = await admin.post(`${API_PREFIX}/customers`, { slug: 'x_co', ['na\u0000me']: 'x' });
    assert.equal(key.status, 400);
    assert.match(key.body.error.message, /^na\\u0000me: must not contain a NUL/);
    // The S3 webhook reads its body as text: a NUL anywhere in the notification is refused the same way.
    const notification = JSON.stringify({
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'veritas2hview' }, object: { key: 'bobs_burgers/grid/x.tar.gz', eTag: NUL_VALUE, size: 1 } },
        },
      ],
    });
    const webhook = await apiClient(t.service.httpUrl!, null).raw(`${API_PREFIX}/s3/events`, {
      method: 'POST',
      body: notification,
      headers: { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' },
    });
    assert.equal(webhook.status, 400, webhook.text);
    assert.match(webhook.body.error.message, /^body: must not contain a NUL/);
  });

  it('never lets a NUL through a header (Idempotency-Key, Upload-Id): the HTTP parser answers 400', async () => {
    for (const header of ['Idempotency-Key', 'Upload-Id', 'X-Customer']) {
      const { port } = new URL(t.service.httpUrl!);
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST ${API_PREFIX}/jobs/replay HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${TEST_ADMIN_KEY}\r\n${header}: a\u0000b\r\nContent-Length: 0\r\n\r\n`,
          );
        });
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk.toString('latin1');
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      assert.match(reply, /^HTTP\/1\.1 400 /, header);
    }
  });
});
