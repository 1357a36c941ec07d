import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../logging/logging.js';

export interface ReceivedMessage {
  readonly messageId: string;
  readonly body: string;
  /** SQS's ApproximateReceiveCount: 1 on the first delivery. */
  readonly receiveCount: number;
}

/** `delete`: settled for good (job committed, or nothing to do). `keep`: let SQS deliver it again (or dead-letter it). */
export type MessageDisposition = 'delete' | 'keep';
export type MessageHandler = (message: ReceivedMessage, signal: AbortSignal) => Promise<MessageDisposition>;

export interface SqsConsumerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly waitTimeSeconds: number;
  readonly maxMessages: number;
  readonly concurrency: number;
  readonly visibilityTimeoutSeconds: number;
  readonly logger: Logger;
  readonly handleMessage: MessageHandler;
}

export interface SqsConsumerStats {
  readonly receiveCalls: number;
  readonly received: number;
  readonly deleted: number;
  readonly kept: number;
  /** Receive calls that failed (credentials, network, a missing queue); each is retried with backoff. */
  readonly receiveErrors: number;
  /** Receive calls that failed since the last one that succeeded (0 once one works again): the alert's condition. */
  readonly consecutiveReceiveErrors: number;
  readonly visibilityExtensions: number;
  readonly inFlight: number;
  readonly maxInFlight: number;
}

/** The queue's name, the last segment of its URL (`https://sqs.eu-west-1.amazonaws.com/123/uploads` → `uploads`). */
export function queueNameOf(queueUrl: string): string {
  return queueUrl.replace(/\/+$/, '').split('/').pop() ?? queueUrl;
}

/** After a failed receive: 1 s, 2 s, 4 s … up to a minute, jittered, so an outage is not a hot loop. */
const RECEIVE_BACKOFF_BASE_MS = 1000;
const RECEIVE_BACKOFF_MAX_MS = 60_000;
/** With short polling (waitTimeSeconds 0) an empty queue would otherwise be asked continuously. */
const EMPTY_SHORT_POLL_PAUSE_MS = 1000;

/**
 * Long-polls one SQS queue and hands each message to `handleMessage`, at most `concurrency` at a
 * time: no more messages are received while every slot is busy, so nothing sits invisible in
 * memory waiting for a slot. While a message is being handled its visibility is extended every
 * half timeout, so no other consumer picks it up mid-download. It is deleted only after the
 * handler resolved `delete` (its job committed); on `keep` or an error it is left alone and
 * comes back after the visibility timeout, until the queue's redrive policy dead-letters it.
 */
export class SqsConsumer {
  readonly #options: SqsConsumerOptions;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #handlerAbort = new AbortController();
  #receiveAbort: AbortController | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #wakeLoop: (() => void) | undefined;
  #endPause: (() => void) | undefined;
  #stats = { receiveCalls: 0, received: 0, deleted: 0, kept: 0, receiveErrors: 0, consecutiveReceiveErrors: 0, visibilityExtensions: 0, maxInFlight: 0 };

  constructor(options: SqsConsumerOptions) {
    this.#options = options;
  }

  get stats(): SqsConsumerStats {
    return { ...this.#stats, inFlight: this.#inFlight.size };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#receiveLoop();
  }

  /**
   * Stops receiving at once, lets messages in progress finish for up to `graceSeconds`, then
   * aborts them: an aborted message is not deleted and comes back after its visibility timeout.
   */
  async stop(graceSeconds: number): Promise<void> {
    this.#running = false;
    this.#receiveAbort?.abort();
    this.#wakeLoop?.();
    this.#endPause?.();
    await this.#loop;
    const settled = Promise.allSettled([...this.#inFlight]).then(() => true);
    const inTime = await Promise.race([settled, delay(graceSeconds * 1000).then(() => false)]);
    if (!inTime) {
      this.#options.logger.warn('stopping: aborting S3 messages still in progress (they will be delivered again)', { inFlight: this.#inFlight.size });
      this.#handlerAbort.abort();
      await settled;
    }
  }

  async #receiveLoop(): Promise<void> {
    const { logger, concurrency } = this.#options;
    let failures = 0;
    while (this.#running) {
      if (this.#inFlight.size >= concurrency) {
        await new Promise<void>((resolve) => {
          this.#wakeLoop = resolve;
        });
        continue;
      }
      let messages: Message[];
      try {
        messages = await this.#receive(concurrency - this.#inFlight.size);
        failures = 0;
        this.#stats.consecutiveReceiveErrors = 0;
      } catch (error) {
        if (!this.#running) break;
        failures += 1;
        this.#stats.receiveErrors += 1;
        this.#stats.consecutiveReceiveErrors = failures;
        const waitMs = Math.min(RECEIVE_BACKOFF_MAX_MS, RECEIVE_BACKOFF_BASE_MS * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
        logger.warn('receiving from SQS failed; retrying', { error: String(error), failures, retryInMs: Math.round(waitMs) });
        await this.#pause(waitMs);
        continue;
      }
      for (const message of messages) this.#track(this.#handle(message));
      if (messages.length === 0 && this.#options.waitTimeSeconds === 0) await this.#pause(EMPTY_SHORT_POLL_PAUSE_MS);
    }
  }

  async #receive(freeSlots: number): Promise<Message[]> {
    const { sqs, queueUrl, waitTimeSeconds, maxMessages, visibilityTimeoutSeconds } = this.#options;
    this.#receiveAbort = new AbortController();
    this.#stats.receiveCalls += 1;
    const output = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(maxMessages, freeSlots),
        WaitTimeSeconds: waitTimeSeconds,
        VisibilityTimeout: visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
      { abortSignal: this.#receiveAbort.signal },
    );
    const messages = output.Messages ?? [];
    this.#stats.received += messages.length;
    return messages;
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    this.#stats.maxInFlight = Math.max(this.#stats.maxInFlight, this.#inFlight.size);
    void work.finally(() => {
      this.#inFlight.delete(work);
      this.#wakeLoop?.();
      this.#wakeLoop = undefined;
    });
  }

  async #handle(message: Message): Promise<void> {
    const { logger, sqs, queueUrl, visibilityTimeoutSeconds } = this.#options;
    const messageId = message.MessageId ?? '(no id)';
    const receiptHandle = message.ReceiptHandle;
    if (receiptHandle === undefined) return;
    const heartbeat = setInterval(
      () => {
        sqs
          .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: visibilityTimeoutSeconds }))
          .then(() => {
            this.#stats.visibilityExtensions += 1;
          })
          .catch((error: unknown) => logger.warn('could not extend the visibility of an SQS message', { messageId, error: String(error) }));
      },
      (visibilityTimeoutSeconds * 1000) / 2,
    );
    let disposition: MessageDisposition;
    try {
      disposition = await this.#options.handleMessage(
        {
          messageId,
          body: message.Body ?? '',
          receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
        },
        this.#handlerAbort.signal,
      );
    } catch (error) {
      logger.error('SQS message handler failed; the message will be delivered again', { messageId, error: String(error), stack: (error as Error).stack });
      disposition = 'keep';
    } finally {
      clearInterval(heartbeat);
    }
    if (disposition === 'keep') {
      this.#stats.kept += 1;
      return;
    }
    try {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
      this.#stats.deleted += 1;
    } catch (error) {
      // The job is committed; a redelivery only finds it again as a duplicate.
      logger.warn('could not delete a settled SQS message; its redelivery will be a duplicate', { messageId, error: String(error) });
    }
  }

  async #pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#endPause = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
