import type { Kysely } from 'kysely';
import type { AlertSettings } from '../config/alerts-schema.js';
import { claimDueDeliveries, recordDeliveryAttempt, type AttemptOutcome, type ClaimedDelivery } from '../db/alert-deliveries-repository.js';
import type { Database } from '../db/database-schema.js';
import type { Logger } from '../logging/logging.js';
import { postWebhook, type AttemptResult } from './post-webhook.js';
import { sendAlertMail } from './send-alert-mail.js';

/** A claimed delivery stays ours for its timeout plus this margin; after it, another instance may retry it. */
const LEASE_MARGIN_SECONDS = 30;

export interface AlertDelivererDeps {
  readonly db: Kysely<Database>;
  readonly settings: AlertSettings;
  readonly logger: Logger;
  /** Called once per recorded attempt (metrics). */
  readonly observe?: (outcome: AttemptOutcome) => void;
}

/**
 * Sends what the outbox holds: claims due deliveries (SKIP LOCKED, so instances share the work
 * and never send one delivery at the same time), attempts each once, and records the outcome:
 * delivered, due again after an exponential backoff, or failed after `maxAttempts`. An attempt cut
 * by shutdown is not recorded: its lease runs out and it is sent again (at least once).
 */
export class AlertDeliverer {
  readonly #deps: AlertDelivererDeps;
  readonly #stopping = new AbortController();
  #running: Promise<void> | undefined;
  #again = false;

  constructor(deps: AlertDelivererDeps) {
    this.#deps = deps;
  }

  /** Delivers everything due now; a call while a round runs makes it go round once more. */
  deliverDue(): Promise<void> {
    if (this.#stopping.signal.aborted) return Promise.resolve();
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#deliverAll();
        } while (this.#again && !this.#stopping.signal.aborted);
      } catch (error) {
        this.#deps.logger.warn('alert delivery round failed; the next one retries', { error: String(error) });
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopping.abort(new Error('the service is stopping'));
    await this.#running;
  }

  async #deliverAll(): Promise<void> {
    const { db, settings } = this.#deps;
    const { concurrency, timeoutSeconds } = settings.delivery;
    while (!this.#stopping.signal.aborted) {
      const claimed = await claimDueDeliveries(db, { limit: concurrency, leaseSeconds: timeoutSeconds + LEASE_MARGIN_SECONDS });
      await Promise.all(claimed.map((delivery) => this.#attempt(delivery)));
      if (claimed.length < concurrency) return;
    }
  }

  async #attempt(delivery: ClaimedDelivery): Promise<void> {
    const { db, settings, logger } = this.#deps;
    const started = Date.now();
    const result = await this.#send(delivery);
    if (this.#stopping.signal.aborted && !result.ok) return;
    const { maxAttempts } = settings.delivery;
    const outcome: AttemptOutcome = result.ok ? 'delivered' : delivery.attempt >= maxAttempts ? 'failed' : 'retry';
    const retryInSeconds = outcome === 'retry' ? this.#backoffSeconds(delivery.attempt) : 0;
    await recordDeliveryAttempt(db, {
      id: delivery.id,
      attempt: delivery.attempt,
      outcome,
      statusCode: result.statusCode,
      error: result.error,
      durationMs: Date.now() - started,
      retryInSeconds,
    });
    this.#deps.observe?.(outcome);
    const facts = { deliveryId: delivery.id, eventId: delivery.eventId, kind: delivery.kind, state: delivery.state, attempt: delivery.attempt };
    if (outcome === 'delivered') logger.info('alert delivered', { ...facts, statusCode: result.statusCode });
    else if (outcome === 'retry') logger.warn('alert delivery failed; will retry', { ...facts, error: result.error, retryInSeconds });
    else logger.error('alert delivery failed for good', { ...facts, error: result.error, attempts: maxAttempts });
  }

  async #send(delivery: ClaimedDelivery): Promise<AttemptResult> {
    const { settings } = this.#deps;
    const { timeoutSeconds } = settings.delivery;
    if (delivery.channel === 'webhook') {
      if (delivery.url === null || delivery.secret === null) return { ok: false, statusCode: null, error: 'the subscription has no URL or secret' };
      return postWebhook({
        url: delivery.url,
        secret: delivery.secret,
        body: delivery.body,
        eventId: delivery.eventId,
        eventType: `alert.${delivery.state}`,
        deliveryId: delivery.id,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutSeconds * 1000), this.#stopping.signal]),
      });
    }
    const { relay, from } = settings.mail;
    if (relay === null) return { ok: false, statusCode: null, error: 'no mail relay is configured (alerts.mail.relay)' };
    if (delivery.email === null) return { ok: false, statusCode: null, error: 'the subscription has no address' };
    return sendAlertMail({ relay, from, to: delivery.email, body: delivery.body, timeoutSeconds });
  }

  /** Exponential backoff with jitter in [half, full], capped (as the job retries). */
  #backoffSeconds(attempt: number): number {
    const { retryBaseSeconds, retryMaxSeconds } = this.#deps.settings.delivery;
    const full = Math.min(retryMaxSeconds, retryBaseSeconds * 2 ** Math.max(0, attempt - 1));
    return full / 2 + Math.random() * (full / 2);
  }
}
