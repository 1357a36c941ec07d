import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { createMetrics } from '../../src/metrics/metrics.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOC = path.join(REPO_ROOT, 'docs/metrics.md');
const ALERTS = path.join(REPO_ROOT, 'docs/alerts.yml');

interface MetricInfo {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly labels: readonly string[];
}

/** The service's own metrics (prom-client's process and Node.js metrics are listed by prefix only). */
async function serviceMetrics(): Promise<MetricInfo[]> {
  const metrics = createMetrics();
  return metrics.registry
    .getMetricsAsArray()
    .filter((metric) => metric.name.startsWith('dataprocessor_'))
    .map((metric) => {
      const raw = metric as unknown as { name: string; help: string; labelNames?: readonly string[]; type?: string; constructor: { name: string } };
      return { name: raw.name, help: raw.help, labels: raw.labelNames ?? [], type: raw.constructor.name.toLowerCase() };
    });
}

/** docs/metrics.md, rebuilt from the live registry; `UPDATE_METRICS_DOC=1 npx mocha test/metrics/metrics-doc.test.ts` rewrites it. */
function renderMetricsDoc(metrics: readonly MetricInfo[]): string {
  return [
    '# Metrics',
    '',
    '<!-- Generated from src/metrics/metrics.ts by test/metrics/metrics-doc.test.ts; do not edit by hand. -->',
    '',
    "`GET /metrics` (no key; Prometheus text format) exports these, plus prom-client's `process_*` and",
    '`nodejs_*` metrics (event-loop lag and its percentiles, heap, GC). Gauges read from the database',
    '(`dataprocessor_jobs`) are refreshed at most every 5 s. Counters are per process and start at 0.',
    'Alerting rules for them: [`alerts.yml`](alerts.yml).',
    '',
    '| Metric | Type | Labels | Meaning |',
    '| --- | --- | --- | --- |',
    ...metrics.map(
      (metric) =>
        `| \`${metric.name}\` | ${metric.type} | ${metric.labels.map((label) => `\`${label}\``).join(', ') || '—'} | ${metric.help.replaceAll('|', '\\|')} |`,
    ),
    '',
  ].join('\n');
}

interface AlertRule {
  readonly alert?: string;
  readonly expr?: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

describe('metrics documentation and alerting rules', () => {
  it('docs/metrics.md lists every metric the service exports, with its type, labels and meaning', async () => {
    const expected = renderMetricsDoc(await serviceMetrics());
    if (process.env.UPDATE_METRICS_DOC === '1') await writeFile(DOC, expected);
    assert.equal(await readFile(DOC, 'utf8'), expected, 'docs/metrics.md is stale: run UPDATE_METRICS_DOC=1 npx mocha test/metrics/metrics-doc.test.ts');
  });

  it('docs/alerts.yml is well-formed and names only metrics and labels the service really exports', async () => {
    const exported = new Map((await serviceMetrics()).map((metric) => [metric.name, metric]));
    // A histogram's series carry suffixes; `le` is their bucket label.
    for (const metric of [...exported.values()]) {
      if (metric.type !== 'histogram') continue;
      for (const suffix of ['_bucket', '_count', '_sum']) exported.set(`${metric.name}${suffix}`, { ...metric, labels: [...metric.labels, 'le'] });
    }
    const document = parse(await readFile(ALERTS, 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] };
    const rules = document.groups.flatMap((group) => group.rules);
    assert.ok(rules.length >= 8, `${rules.length} rules`);
    const names = new Set<string>();
    for (const rule of rules) {
      assert.match(rule.alert ?? '', /^DataProcessor[A-Za-z]+$/, JSON.stringify(rule));
      assert.ok(!names.has(rule.alert!), `${rule.alert} twice`);
      names.add(rule.alert!);
      assert.ok(['warning', 'critical'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity`);
      assert.ok((rule.annotations?.summary ?? '') !== '' && (rule.annotations?.description ?? '') !== '', `${rule.alert}: summary and description`);
      if (rule.for !== undefined) assert.match(rule.for, /^\d+[smhd]$/, `${rule.alert}: for`);
      const expr = rule.expr ?? '';
      const used = [...expr.matchAll(/\b(dataprocessor_[a-z_]+)(\{([^}]*)\})?/g)];
      assert.ok(used.length > 0, `${rule.alert} uses no dataprocessor_ metric`);
      for (const [, name, , selector] of used) {
        const metric = exported.get(name!);
        assert.ok(metric !== undefined, `${rule.alert}: ${name} is not exported`);
        for (const [, label] of (selector ?? '').matchAll(/([a-z_]+)\s*(=~|!~|!=|=)/g)) {
          assert.ok(metric.labels.includes(label!), `${rule.alert}: ${name} has no label ${label}`);
        }
      }
      for (const [, list] of expr.matchAll(/\bby \(([^)]*)\)/g)) {
        for (const label of list!.split(',').map((entry) => entry.trim())) {
          const known = label === 'instance' || used.some(([, name]) => exported.get(name!)?.labels.includes(label));
          assert.ok(known, `${rule.alert}: groups by ${label}, which none of its metrics carries`);
        }
      }
    }
    // The conditions issue #14 asks to alert on, each covered by at least one rule.
    for (const needed of ['JobsFailing', 'UnclassifiedArrivals', 'SourceSilent', 'DiskLow', 'SpoolStuck', 'WorkerStuck', 'SqsReceiveErrors']) {
      assert.ok(names.has(`DataProcessor${needed}`), needed);
    }
  });

  it('every exported metric is asserted on by a test that makes it move', async () => {
    // A metric nobody checks can stay at zero for months unnoticed (the SQS counters did). The
    // behavioural tests name the metric in the assertion they make on a /metrics scrape.
    const testFiles = (await readdir(path.join(REPO_ROOT, 'test'), { recursive: true })).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('metrics-doc.test.ts'),
    );
    const assertedLines: string[] = [];
    for (const file of testFiles) {
      const lines = (await readFile(path.join(REPO_ROOT, 'test', file), 'utf8')).split('\n');
      lines.forEach((line, index) => {
        // The assertion line, or a named reading used by the assertions that follow.
        if (/assert|read\(/.test(line) || /assert/.test(lines[index + 1] ?? '')) assertedLines.push(line);
      });
    }
    const unchecked = (await serviceMetrics()).map((metric) => metric.name).filter((name) => !assertedLines.some((line) => line.includes(name)));
    assert.deepEqual(unchecked, [], 'metrics no test asserts on');
  });
});
