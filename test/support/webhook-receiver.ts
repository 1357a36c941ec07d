import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A notification as the receiver got it, with the outcome of its own signature check. */
export interface ReceivedNotification {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawBody: string;
  readonly body: any;
  /** The documented check passed: timestamp within 5 min, v1 = hex HMAC-SHA256(secret, "<t>.<raw body>"). */
  readonly signatureValid: boolean;
  readonly signatureProblem: string | null;
  readonly eventId: string;
  readonly at: number;
  /** The status this receiver answered. */
  readonly answered: number;
}

export interface WebhookReceiver {
  /** The URL of one endpoint (its own secret and answers); `path` starts with `/`. */
  url(path: string): string;
  /** The secret the service gave the subscription of `path`, to check its signatures with. */
  setSecret(path: string, secret: string): void;
  /** The statuses `path` answers, in order (the last one repeats); 204 by default. */
  answer(path: string, statuses: readonly number[]): void;
  readonly received: ReceivedNotification[];
  receivedAt(path: string): ReceivedNotification[];
  waitFor(predicate: (notification: ReceivedNotification) => boolean, what: string, timeoutMs?: number): Promise<ReceivedNotification>;
  close(): Promise<void>;
}

const TOLERANCE_SECONDS = 300;

/**
 * A real HTTP receiver on port 0 that checks each signature the way docs/alerts.md tells
 * receivers to, written here from the documentation (not with the service's own verifier).
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const secrets = new Map<string, string>();
  const answers = new Map<string, number[]>();
  const received: ReceivedNotification[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const problem = checkSignature(secrets.get(path), rawBody, request.headers['x-dataprocessor-signature']);
      const queue = answers.get(path) ?? [];
      const status = queue.length > 1 ? queue.shift()! : (queue[0] ?? 204);
      received.push({
        path,
        headers: request.headers,
        rawBody,
        body: JSON.parse(rawBody),
        signatureValid: problem === null,
        signatureProblem: problem,
        eventId: String(request.headers['x-dataprocessor-event-id'] ?? ''),
        at: Date.now(),
        answered: status,
      });
      response.writeHead(status, { 'Content-Type': 'text/plain' }).end(status >= 300 ? 'receiver says no' : '');
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    setSecret: (path, secret) => secrets.set(path, secret),
    answer: (path, statuses) => answers.set(path, [...statuses]),
    received,
    receivedAt: (path) => received.filter((notification) => notification.path === path),
    async waitFor(predicate, what, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(predicate);
        if (found !== undefined) return found;
        const left = deadline - Date.now();
        if (left <= 0) {
          const seen = received.map((n) => `${n.path} ${n.body?.type} ${n.body?.condition?.kind} ${n.body?.condition?.key}`).join('\n  ');
          throw new Error(`no notification ${what} within ${timeoutMs} ms; received:\n  ${seen}`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(left, 200));
          function done(): void {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** docs/alerts.md, "Verifying a webhook", step by step; null when the signature is good. */
function checkSignature(secret: string | undefined, rawBody: string, header: string | string[] | undefined): string | null {
  if (secret === undefined) return 'no secret for this path';
  if (typeof header !== 'string') return 'no signature header';
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const at = item.indexOf('=');
    if (at < 0) continue;
    const name = item.slice(0, at).trim();
    parts.set(name, [...(parts.get(name) ?? []), item.slice(at + 1).trim()]);
  }
  const t = parts.get('t')?.[0];
  if (t === undefined || !/^\d+$/.test(t)) return 'no timestamp';
  if (Math.abs(Date.now() / 1000 - Number(t)) > TOLERANCE_SECONDS) return 'stale timestamp';
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex'));
  const good = (parts.get('v1') ?? []).some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return good ? null : 'signature mismatch';
}
