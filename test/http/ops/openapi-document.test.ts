import assert from 'node:assert/strict';
import { API_PREFIX } from '../../../src/http/create-app.js';
import { listRoutes, toOpenApiPath } from '../../../src/http/list-routes.js';
import { apiKeySchema, customerSchema } from '../../../src/http/admin/admin-schemas.js';
import { jobCountsSchema, jobDetailSchema, jobListSchema, jobSummarySchema } from '../../../src/http/jobs/jobs-schemas.js';
import { readinessSchema } from '../../../src/http/ops/ops-schemas.js';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/start-test-service.js';
import { apiClient, type ApiClient } from '../../support/http-client.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Served but not API: the docs page and its assets, and the operator console (HTML pages, session sign-in). */
const isDocsPage = (routePath: string): boolean =>
  routePath === '/docs' || routePath.startsWith('/docs/') || routePath === '/console' || routePath.startsWith('/console/');

describe('the OpenAPI document at /api/1.0/openapi.json', () => {
  let t: TestService;
  let api: ApiClient;
  let document: any;

  before(async () => {
    // The webhook token turns on the one route that is registered only when configured.
    t = await startTestService({
      customers: ['bobs_burgers'],
      overrides: { worker: { enabled: false }, s3: { webhook: { token: 'webhook-token-0123456789' } } },
    });
    api = apiClient(t.service.httpUrl!, TEST_ADMIN_KEY);
    const response = await apiClient(t.service.httpUrl!, null).get(`${API_PREFIX}/openapi.json`);
    assert.equal(response.status, 200, 'served without a key');
    document = response.body;
  });
  after(async () => {
    await t?.stop();
  });

  it('documents exactly the routes the routers serve, method by method', () => {
    const served = [
      ...new Set(
        listRoutes(t.service.httpApp)
          .filter((route) => !isDocsPage(route.path))
          .map((route) => `${route.method} ${toOpenApiPath(route.path)}`),
      ),
    ].sort();
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>)
      .flatMap(([documentedPath, item]) => METHODS.filter((method) => item[method] !== undefined).map((method) => `${method.toUpperCase()} ${documentedPath}`))
      .sort();
    assert.ok(served.length >= 20, `found ${served.length} routes`);
    assert.deepEqual(documented, served, 'every route documented, every documented route served');
  });

  it('is OpenAPI 3.1 with the key scheme, and every operation has its schemas', () => {
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(document.components.securitySchemes.ApiKey, {
      type: 'apiKey',
      in: 'header',
      name: 'X-Api-Key',
      description: document.components.securitySchemes.ApiKey.description,
    });
    for (const [operationPath, item] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (operation === undefined) continue;
        const name = `${method.toUpperCase()} ${operationPath}`;
        assert.ok(typeof operation.summary === 'string' && operation.summary !== '', `${name} has a summary`);
        const success = Object.entries(operation.responses as Record<string, any>).filter(([status]) => status.startsWith('2'));
        assert.ok(success.length > 0, `${name} documents a success`);
        for (const [status, response] of success) {
          if (status === '204') continue;
          const content = Object.values(response.content ?? {}) as Array<{ schema?: unknown }>;
          assert.ok(content.length > 0 && content.every((media) => media.schema !== undefined), `${name} ${status} has a schema`);
        }
        for (const param of operationPath.match(/\{(\w+)\}/g) ?? []) {
          assert.ok(
            (operation.parameters ?? []).some((p: { in: string; name: string }) => p.in === 'path' && `{${p.name}}` === param),
            `${name} declares ${param}`,
          );
        }
        if (operationPath === `${API_PREFIX}/s3/events`) {
          assert.deepEqual(operation.security, [{ WebhookToken: [] }], `${name} takes the webhook token`);
        } else if (operationPath.startsWith(`${API_PREFIX}/`) && !operationPath.endsWith('/openapi.json')) {
          assert.deepEqual(operation.security, [{ ApiKey: [] }], `${name} needs a key`);
          assert.ok(operation.responses['401'] !== undefined, `${name} documents 401`);
          if (method === 'post' || method === 'patch') {
            // JSON bodies, and the uploads' raw and multipart ones: every media type has a schema.
            const media = Object.values(operation.requestBody?.content ?? {}) as Array<{ schema?: unknown }>;
            if (operation.requestBody !== undefined) assert.ok(media.length > 0 && media.every((type) => type.schema !== undefined), `${name} body schema`);
          }
        } else {
          assert.deepEqual(operation.security, [], `${name} is public`);
        }
      }
    }
  });

  it('carries examples for the main shapes', () => {
    const schemas = document.components.schemas;
    assert.equal(schemas.JobSummary.properties.customer.example, 'bobs_burgers');
    assert.ok(schemas.ReplayRequest.properties.filter.example !== undefined);
    assert.ok(schemas.Readiness.example !== undefined);
    const listParams = document.paths[`${API_PREFIX}/jobs`].get.parameters.map(
      (p: { name: string; example?: unknown; schema: { example?: unknown } }) => p.name,
    );
    assert.deepEqual(listParams.sort(), [
      'category',
      'cursor',
      'customer',
      'group',
      'limit',
      'q',
      'received_since',
      'received_until',
      'source',
      'status',
      'type',
    ]);
  });

  it('describes what the routes really answer (responses parse with the documented schemas, no extra fields)', async () => {
    const { job } = await t.service.accept(t.echoArrival({ tag: 'shape' }));
    const key = await api.post(`${API_PREFIX}/api-keys`, { customer: 'bobs_burgers', label: 'shape' });
    const checks: Array<[string, { shape: Record<string, unknown>; parse: (value: unknown) => unknown }, unknown]> = [
      ['job list', jobListSchema, (await api.get(`${API_PREFIX}/jobs`)).body],
      ['job summary', jobSummarySchema, (await api.get(`${API_PREFIX}/jobs`)).body.jobs[0]],
      ['job detail', jobDetailSchema, (await api.get(`${API_PREFIX}/jobs/${job.id}`)).body],
      ['job counts', jobCountsSchema, (await api.get(`${API_PREFIX}/jobs/summary`)).body],
      ['customer', customerSchema, (await api.get(`${API_PREFIX}/customers/bobs_burgers`)).body],
      ['api key', apiKeySchema, (await api.get(`${API_PREFIX}/api-keys/${key.body.id}`)).body],
      ['readiness', readinessSchema, (await api.get('/readyz')).body],
    ];
    for (const [name, schema, body] of checks) {
      schema.parse(body);
      assert.deepEqual(Object.keys(body as object).sort(), Object.keys(schema.shape).sort(), name);
    }
  });
});
