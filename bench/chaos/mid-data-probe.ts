import { setTimeout as sleep } from 'node:timers/promises';
import { CHAOS_RECIPIENT, CHAOS_SENDER, type ChaosRun } from './chaos-run.js';
import type { MailItem } from './ledger.js';
import { ConnectionLost, SmtpConversation, dataBlock, replyCode } from './smtp-conversation.js';

const COMMAND_TIMEOUT_MS = 30_000;
/** Longer than the service's 60 s socket timeout, so a late answer is seen and timed. */
const REPLY_TIMEOUT_MS = 120_000;
/** Time for the service to write the first half of the large messages before the disk fills. */
const FIRST_HALF_SETTLE_MS = 1000;
const LARGE_MESSAGE_BYTES = 2 * 1024 * 1024;

export interface ProbeResult {
  readonly token: string;
  readonly bytes: number;
  /** The reply (code, `conn` for a lost connection), and where it came. */
  readonly outcome: string;
  /** Final dot → reply, seconds (null when it never got to DATA). */
  readonly replySeconds: number | null;
}

/**
 * An alert mail padded to `bytes` with plain lines after its labels (the alert parser reads
 * only its labelled lines), so it takes the folder path (larger than the spool's 256 KiB) and
 * still succeeds when processed.
 */
export function padMail(text: string, bytes: number): string {
  const lines: string[] = [];
  let size = text.length;
  for (let line = 0; size < bytes; line += 1) {
    const padding = `chaos padding ${String(line).padStart(8, '0')} ${'x'.repeat(90)}`;
    lines.push(padding);
    size += padding.length + 2;
  }
  return `${text}${lines.join('\r\n')}\r\n`;
}

/**
 * The disk fills while DATA is streaming: sessions get to DATA while there is space (past the
 * MAIL FROM low-space gate), the large ones send half their body, then the file system is filled
 * to the last block and every body is finished. Each must get a prompt 4xx (452 4.3.1), or a
 * 250 only if it is really stored (the ledger decides). A mail not acknowledged is retried by
 * the load once space is back.
 */
export async function midDataProbe(
  run: ChaosRun,
  args: { readonly large: number; readonly small: number; fillCompletely(): Promise<void> },
): Promise<ProbeResult[]> {
  const items: Array<{ item: MailItem; block: string }> = [];
  for (let index = 0; index < args.large + args.small; index += 1) {
    const item = run.nextMail(index < args.large ? LARGE_MESSAGE_BYTES : undefined);
    items.push({ item, block: dataBlock(item.text) });
  }
  const half = (block: string): number => Math.floor(block.length / 2);
  const opened = await Promise.all(
    items.map(async ({ item, block }, index) => {
      const large = index < args.large;
      item.attempts += 1;
      try {
        const conversation = await SmtpConversation.open('127.0.0.1', run.smtpPort, COMMAND_TIMEOUT_MS);
        for (const [line, expected] of [
          ['', '220'],
          ['EHLO chaos-probe.example', '250'],
          [`MAIL FROM:<${CHAOS_SENDER}>`, '250'],
          [`RCPT TO:<${CHAOS_RECIPIENT}>`, '250'],
          ['DATA', '354'],
        ] as const) {
          const reply = line === '' ? await conversation.reply(COMMAND_TIMEOUT_MS) : await conversation.command(line, COMMAND_TIMEOUT_MS);
          if (replyCode(reply) !== expected) {
            conversation.destroy();
            return { item, block, conversation: null, outcome: `${replyCode(reply)}@${line.split(/[ :]/)[0] || 'greeting'}` };
          }
        }
        if (large) await conversation.write(block.slice(0, half(block)));
        return { item, block, conversation, outcome: '', large };
      } catch (error) {
        if (!(error instanceof ConnectionLost)) throw error;
        return { item, block, conversation: null, outcome: 'conn-before-data' };
      }
    }),
  );
  await sleep(FIRST_HALF_SETTLE_MS);
  await args.fillCompletely();

  return Promise.all(
    opened.map(async (entry, index): Promise<ProbeResult> => {
      const large = index < args.large;
      const bytes = entry.item.text.length;
      const { conversation } = entry;
      if (conversation === null) {
        run.ledger.count('mail', `probe-${entry.outcome}`);
        run.mailLoad.retryLater(entry.item);
        return { token: entry.item.token, bytes, outcome: entry.outcome, replySeconds: null };
      }
      const started = performance.now();
      try {
        await conversation.write(large ? entry.block.slice(half(entry.block)) : entry.block);
        const code = replyCode(await conversation.reply(REPLY_TIMEOUT_MS));
        const replySeconds = (performance.now() - started) / 1000;
        run.ledger.count('mail', `probe-${code}`);
        if (code === '250') run.ledger.acknowledge(entry.item);
        else if (code.startsWith('5')) entry.item.refused = `${code} at DATA (disk full mid-DATA)`;
        else run.mailLoad.retryLater(entry.item);
        return { token: entry.item.token, bytes, outcome: code, replySeconds };
      } catch (error) {
        if (!(error instanceof ConnectionLost)) throw error;
        run.ledger.count('mail', 'probe-conn-lost');
        run.mailLoad.retryLater(entry.item);
        return { token: entry.item.token, bytes, outcome: `conn (${error.message})`, replySeconds: (performance.now() - started) / 1000 };
      } finally {
        conversation.destroy();
      }
    }),
  );
}
