import { setTimeout as sleep } from 'node:timers/promises';
import type { Ledger, MailItem } from './ledger.js';
import { ConnectionLost, SmtpConversation, dataBlock, replyCode } from './smtp-conversation.js';

const CONNECT_TIMEOUT_MS = 5000;
const COMMAND_TIMEOUT_MS = 30_000;
/** Longer than the service's 60 s socket timeout, so a reply that only comes then is seen (and timed). */
const DATA_REPLY_TIMEOUT_MS = 120_000;
const RECONNECT_PAUSE_MS = 300;
/** Retries back off like an MTA's queue, only faster: 1, 2, 4, 8, then every 15 s. */
const RETRY_AFTER_MS = 1000;
const RETRY_MAX_MS = 15_000;
const IDLE_POLL_MS = 100;

export interface MailLoadArgs {
  readonly ledger: Ledger;
  readonly host: string;
  readonly port: number;
  readonly from: string;
  readonly to: string;
  readonly sessions: number;
  /** New mails per second over all sessions; retries are not paced. */
  readonly ratePerSecond: number;
  /** The next new mail (CRLF text with a unique Message-ID), already in the ledger. */
  newMail(): MailItem;
}

const MESSAGE_ID = /^Message-ID:\s*<([^>\r\n]+)>/im;

/** The ledger token of a mail: its Message-ID without the angle brackets. */
export function messageIdOf(text: string): string {
  const token = MESSAGE_ID.exec(text)?.[1];
  if (token === undefined) throw new Error('a generated mail has no Message-ID');
  return token;
}

/** The pause before the next attempt of an item that failed `attempts` times (shared with the uploads). */
export function retryDelayMs(attempts: number): number {
  return Math.min(RETRY_AFTER_MS * 2 ** Math.max(0, Math.min(attempts - 1, 10)), RETRY_MAX_MS);
}

/**
 * SMTP sessions sending paced new mails and retrying the ones not acknowledged, like an MTA's
 * queue (but retrying after a second, not minutes). Runs until `stop()`; `finishing()` stops
 * new mails so only retries go on.
 */
export class MailLoad {
  readonly #args: MailLoadArgs;
  readonly #retries: MailItem[] = [];
  #nextNewAt = 0;
  #newMails = true;
  #running = false;
  #sessions: Promise<void>[] = [];
  #inData = 0;

  constructor(args: MailLoadArgs) {
    this.#args = args;
  }

  start(): void {
    this.#running = true;
    this.#sessions = Array.from({ length: this.#args.sessions }, () => this.#session());
  }

  /** No more new mails; retries go on. */
  finishing(): void {
    this.#newMails = false;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#sessions);
  }

  /** Sessions between their DATA body and its reply right now. */
  get inData(): number {
    return this.#inData;
  }

  /** Puts a mail in line for a retry (also for mails sent by other parts of the harness). */
  retryLater(item: MailItem): void {
    item.retryAt = this.#args.ledger.now() + retryDelayMs(item.attempts);
    this.#retries.push(item);
  }

  #take(): MailItem | undefined {
    const { ledger } = this.#args;
    const now = ledger.now();
    const due = this.#retries.findIndex((item) => item.retryAt <= now);
    if (due >= 0) return this.#retries.splice(due, 1)[0];
    if (!this.#newMails || now < this.#nextNewAt) return undefined;
    this.#nextNewAt = Math.max(this.#nextNewAt, now) + 1000 / this.#args.ratePerSecond;
    return this.#args.newMail();
  }

  async #session(): Promise<void> {
    let conversation: SmtpConversation | undefined;
    while (this.#running) {
      if (conversation === undefined) {
        conversation = await this.#open();
        if (conversation === undefined) {
          await sleep(RECONNECT_PAUSE_MS);
          continue;
        }
      }
      const item = this.#take();
      if (item === undefined) {
        await sleep(IDLE_POLL_MS);
        continue;
      }
      const keep = await this.#send(conversation, item);
      if (!keep) {
        conversation.destroy();
        conversation = undefined;
      }
    }
    if (conversation !== undefined) {
      await conversation.command('QUIT', CONNECT_TIMEOUT_MS).catch(() => undefined);
      conversation.destroy();
    }
  }

  async #open(): Promise<SmtpConversation | undefined> {
    const { ledger } = this.#args;
    let conversation: SmtpConversation | undefined;
    try {
      conversation = await SmtpConversation.open(this.#args.host, this.#args.port, CONNECT_TIMEOUT_MS);
      const greeting = await conversation.reply(COMMAND_TIMEOUT_MS);
      if (replyCode(greeting) !== '220') throw new Error(`greeting ${replyCode(greeting)}`);
      const ehlo = await conversation.command('EHLO chaos.example', COMMAND_TIMEOUT_MS);
      if (replyCode(ehlo) !== '250') throw new Error(`EHLO ${replyCode(ehlo)}`);
      return conversation;
    } catch (error) {
      // Refused connections while the service is down are expected: counted, not retried here.
      ledger.count('mail', error instanceof ConnectionLost ? 'connect-failed' : `session-${(error as Error).message.split(' ').pop() ?? '?'}`);
      conversation?.destroy();
      return undefined;
    }
  }

  /** One transaction; returns whether the connection can carry the next one. */
  async #send(conversation: SmtpConversation, item: MailItem): Promise<boolean> {
    const { ledger } = this.#args;
    item.attempts += 1;
    let inData = false;
    try {
      for (const [line, expected] of [
        [`MAIL FROM:<${this.#args.from}>`, '250'],
        [`RCPT TO:<${this.#args.to}>`, '250'],
        ['DATA', '354'],
      ] as const) {
        const code = replyCode(await conversation.command(line, COMMAND_TIMEOUT_MS));
        if (code !== expected) return await this.#refused(conversation, item, code, line.split(/[ :]/)[0] ?? line);
      }
      inData = true;
      this.#inData += 1;
      const sentAt = performance.now();
      await conversation.write(dataBlock(item.text));
      const reply = await conversation.reply(DATA_REPLY_TIMEOUT_MS);
      ledger.latency('mail', performance.now() - sentAt);
      const code = replyCode(reply);
      if (code === '250') {
        ledger.acknowledge(item);
        ledger.count('mail', '250');
        return true;
      }
      return await this.#refused(conversation, item, code, 'DATA');
    } catch (error) {
      if (!(error instanceof ConnectionLost)) throw error;
      // No complete reply: not acknowledged, whatever the service did. Retried; the service's
      // content key turns a retry of a committed mail into the same job.
      ledger.count('mail', inData ? 'conn-lost-in-data' : 'conn-lost');
      this.retryLater(item);
      return false;
    } finally {
      if (inData) this.#inData -= 1;
    }
  }

  async #refused(conversation: SmtpConversation, item: MailItem, code: string, stage: string): Promise<boolean> {
    const { ledger } = this.#args;
    ledger.count('mail', `${code}@${stage}`);
    if (code.startsWith('5')) item.refused = `${code} at ${stage}`;
    else this.retryLater(item);
    if (code === '421') return false;
    const reset = await conversation.command('RSET', COMMAND_TIMEOUT_MS).catch(() => '');
    return replyCode(reset) === '250';
  }
}
