import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { Config } from '../../src/config/config-schema.js';
import { ENV_OVERRIDES, loadConfig } from '../../src/config/load-config.js';
import { buildOpenApiDocument } from '../../src/http/ops/openapi-document.js';
import { REPO_ROOT } from './dockerfile-stages.js';

interface ComposeService {
  image?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  command?: string[] | string;
  configs?: { source: string; target: string }[];
  networks?: Record<string, { ipv4_address?: string } | null> | string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  configs: Record<string, { content: string }>;
  volumes: Record<string, unknown>;
}

/** Compose's `${NAME:?message}` / `${NAME:-default}` with a stand-in value per name; `$$` is a literal `$`. */
function interpolate(text: string): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?::[-?][^}]*)?\}/g, (_, name: string) => `${name.toLowerCase()}-0123456789abcdef`).replaceAll('$$', '$');
}

/** No engine runs here: compose.yaml is checked by reading it against the code (docs/operations.md, "Containers"). */
describe('compose.yaml', () => {
  let compose: ComposeFile;
  let service: ComposeService;
  let config: Config;
  let dir: string;
  before(async () => {
    compose = parse(await readFile(path.join(REPO_ROOT, 'compose.yaml'), 'utf8')) as ComposeFile;
    service = compose.services.dataprocessor ?? {};
    // The service's configuration as the container would load it: image layer, mounted file, environment.
    const mount = service.configs?.find((entry) => entry.target === '/app/config.json');
    assert.ok(mount !== undefined, "a config file mounted at the seed's /app/config.json");
    dir = await mkdtemp(path.join(tmpdir(), 'dp-compose-'));
    await writeFile(path.join(dir, 'config.json'), compose.configs[mount.source]?.content ?? '');
    const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value))]));
    config = loadConfig({ env: { ...env, DP_CONFIG_BASE: path.join(REPO_ROOT, 'config/container.json') }, cwd: dir });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sets only variables the configuration reads (a renamed variable fails here), and a valid configuration', () => {
    const known = new Set(ENV_OVERRIDES.map((entry) => entry.env));
    for (const name of Object.keys(service.environment ?? {})) {
      if (name.startsWith('AWS_')) continue; // read by the AWS SDK itself
      assert.ok(known.has(name), `${name} is not read by src/config/load-config.ts`);
    }
    assert.equal(config.dataRoot, '/home/mailbox');
    assert.notEqual(config.database.url, null);
    assert.equal(new URL(config.database.url ?? '').hostname, 'postgres');
    assert.equal(new URL(config.database.url ?? '').pathname, `/${compose.services.postgres?.environment?.POSTGRES_DB}`);
    assert.equal(config.s3.endpoint, 'http://minio:9000');
  });

  it('publishes the configured ports, SMTP on an unprivileged port inside', () => {
    const targets = (service.ports ?? []).map((port) => Number(port.split(':').at(-1)));
    assert.ok(targets.includes(config.http.port));
    assert.ok(targets.includes(config.smtp.port));
    assert.ok(config.smtp.port >= 1024, 'the non-root user cannot bind below 1024 everywhere');
    assert.equal(config.smtp.host, '0.0.0.0', 'reachable from the host and the Postfix container');
  });

  it('keeps data and logs in volumes and probes /readyz', () => {
    const volumes = new Map((service.volumes ?? []).map((entry) => [entry.split(':')[1], entry.split(':')[0]]));
    for (const target of [config.dataRoot, config.logDir]) {
      const source = volumes.get(target);
      assert.ok(source !== undefined && source in compose.volumes, `a named volume at ${target}`);
    }
    assert.match(service.healthcheck?.test.join(' ') ?? '', /\/readyz/);
    // Spool, S3 consumer and worker each get the grace, one after the other (src/main.ts, stopAll).
    assert.ok(Number.parseInt(service.stop_grace_period ?? '0', 10) >= 3 * config.shutdown.graceSeconds + 10, 'docker stop waits for the whole shutdown');
  });

  it('starts after PostgreSQL and MinIO are healthy', () => {
    for (const name of ['postgres', 'minio']) {
      assert.equal(service.depends_on?.[name]?.condition, 'service_healthy');
      assert.ok((compose.services[name]?.healthcheck?.test.length ?? 0) > 0, `${name} has a health check`);
    }
  });

  it("wires MinIO's bucket notification to our webhook route with our token", () => {
    const minio = compose.services.minio?.environment ?? {};
    const ids = Object.keys(minio)
      .map((name) => /^MINIO_NOTIFY_WEBHOOK_ENABLE_(\w+)$/.exec(name)?.[1])
      .filter((id) => id !== undefined);
    assert.equal(ids.length, 1);
    const id = ids[0] ?? '';
    const endpoint = new URL(minio[`MINIO_NOTIFY_WEBHOOK_ENDPOINT_${id}`] ?? '');
    assert.equal(endpoint.hostname, 'dataprocessor');
    assert.equal(Number(endpoint.port), config.http.port);
    const document = buildOpenApiDocument({ prefix: '/api/1.0', version: '1.0' });
    assert.ok(document.paths?.[endpoint.pathname]?.post !== undefined, `${endpoint.pathname} is a POST route of ours`);
    assert.equal(interpolate(minio[`MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_${id}`] ?? ''), config.s3.webhook.token, 'the same token on both sides');
    const setup = [compose.services['minio-setup']?.command ?? []].flat().join(' ');
    for (const route of config.s3.routes) {
      assert.match(setup, new RegExp(`mc mb --ignore-existing \\w+/${route.bucket}\\b`));
      assert.match(setup, new RegExp(`mc event add \\w+/${route.bucket} arn:minio:sqs::${id}:webhook --event put`));
    }
  });

  it('offers Postfix as a profile, relaying to the listener from a trusted address', () => {
    const postfix = compose.services.postfix ?? {};
    assert.deepEqual(postfix.profiles, ['postfix']);
    assert.equal(postfix.environment?.POSTFIX_relay_transport, `smtp:[dataprocessor]:${config.smtp.port}`);
    const networks = postfix.networks as Record<string, { ipv4_address?: string }> | undefined;
    const address = Object.values(networks ?? {})[0]?.ipv4_address;
    assert.ok(address !== undefined && config.smtp.trustedRelays.includes(address), "the relay's fixed address is trusted");
    assert.ok(Number(postfix.environment?.POSTFIX_message_size_limit) <= config.smtp.maxMessageBytes);
  });
});
