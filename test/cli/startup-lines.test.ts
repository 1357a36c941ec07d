import assert from 'node:assert/strict';
import { resolveConsoleFormat } from '../../src/logging/console-format.js';
import { startupLines, stoppingLine } from '../../src/cli/startup-lines.js';

const FACTS = {
  httpUrl: 'http://127.0.0.1:25025',
  smtp: { host: '::', port: 2525 },
  ingestDomains: ['ingest.hview.example'],
  dataRoot: '/var/lib/dataprocessor',
  logDir: '/var/log/hview',
  embeddedDatabase: true,
  generatedAdminKey: 'dp_example',
};

describe("serve's start-up lines follow logFormat", () => {
  it('reads auto as text on a terminal and JSON anywhere else', () => {
    assert.equal(resolveConsoleFormat('auto', { isTTY: true }), 'text');
    assert.equal(resolveConsoleFormat('auto', { isTTY: false }), 'json');
    assert.equal(resolveConsoleFormat('auto', {}), 'json');
    assert.equal(resolveConsoleFormat('text', {}), 'text');
    assert.equal(resolveConsoleFormat('json', { isTTY: true }), 'json');
  });

  it('prints JSON lines for a collector, the key in its own field', () => {
    const lines = startupLines('json', FACTS).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.deepEqual(
      [lines[0]!.message, lines[0]!.http, lines[0]!.smtp, lines[0]!.database],
      ['DataProcessor listening', 'http://127.0.0.1:25025', '[::]:2525', 'embedded PostgreSQL'],
    );
    assert.equal(lines[1]!.adminApiKey, 'dp_example');
    assert.equal(startupLines('json', { ...FACTS, generatedAdminKey: null }).length, 1, 'no key after the first start');
    assert.equal(JSON.parse(stoppingLine('json', 'SIGTERM', 30)).graceSeconds, 30);
  });

  it('prints readable lines for a person', () => {
    const text = startupLines('text', { ...FACTS, smtp: null }).join('\n');
    assert.match(text, /^DataProcessor listening: HTTP http:\/\/127\.0\.0\.1:25025 /);
    assert.match(text, /SMTP: disabled/);
    assert.match(text, /X-Api-Key: dp_example/);
    assert.equal(stoppingLine('text', 'SIGINT', 5), 'SIGINT received: stopping (grace 5 s)');
  });
});
