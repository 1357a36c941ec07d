import { connect, type Socket } from 'node:net';

export interface SendMailsArgs {
  readonly host: string;
  readonly port: number;
  /** Parallel sessions, each sending its share of the mails one after another (like smtp-source -d). */
  readonly sessions: number;
  readonly from: string;
  readonly to: string;
  /** Shared by the sessions; each takes the next mail when it is free. CRLF text. */
  readonly mails: Iterator<{ readonly text: string }>;
  /** Called after each 250 with the running count and the reply (its job ids; per-message timing). */
  readonly onAccepted?: (count: number, reply: string) => void;
  /** Paced load: the n-th mail starts no sooner than n / ratePerSecond seconds after the start. Unset: as fast as the sessions go. */
  readonly ratePerSecond?: number;
}

export interface SendMailsResult {
  readonly accepted: number;
  /** Replies other than 250 to DATA, by code. */
  readonly refused: Readonly<Record<string, number>>;
  readonly seconds: number;
}

/** Reads SMTP replies (multi-line aware) from a socket, one `next()` per reply. */
class ReplyReader {
  #buffer = '';
  #lines: string[] = [];
  #waiting: Array<(reply: string) => void> = [];
  #failed: Error | undefined;
  #failWaiting: Array<(error: Error) => void> = [];

  constructor(socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let end: number;
      while ((end = this.#buffer.indexOf('\r\n')) >= 0) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        this.#lines.push(line);
        // "250-…" continues, "250 …" ends a reply.
        if (line.length < 4 || line[3] === ' ') this.#deliver(this.#lines.join('\n'));
      }
    });
    const fail = (error: Error): void => {
      this.#failed = error;
      for (const reject of this.#failWaiting) reject(error);
      this.#failWaiting = [];
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  #deliver(reply: string): void {
    this.#lines = [];
    const waiter = this.#waiting.shift();
    this.#failWaiting.shift();
    if (waiter !== undefined) waiter(reply);
  }

  next(): Promise<string> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      this.#waiting.push(resolve);
      this.#failWaiting.push(reject);
    });
  }
}

async function command(socket: Socket, reader: ReplyReader, line: string, expect: string): Promise<string> {
  const reply = reader.next();
  socket.write(`${line}\r\n`);
  const text = await reply;
  if (!text.startsWith(expect)) throw new Error(`${line.split(' ')[0]}: unexpected reply ${text}`);
  return text;
}

/** RFC 5321 dot-stuffing, and the text must end with CRLF before the final dot. */
function dataBlock(text: string): string {
  const stuffed = text.replace(/(^|\r\n)\./g, '$1..');
  return `${stuffed.endsWith('\r\n') ? stuffed : `${stuffed}\r\n`}.\r\n`;
}

async function session(args: SendMailsArgs, tally: { accepted: number; refused: Record<string, number>; started: number; taken: number }): Promise<void> {
  const socket = connect({ host: args.host, port: args.port });
  socket.setNoDelay(true);
  const reader = new ReplyReader(socket);
  try {
    const greeting = await reader.next();
    if (!greeting.startsWith('220')) throw new Error(`greeting: ${greeting}`);
    await command(socket, reader, 'EHLO bench.example', '250');
    for (let item = args.mails.next(); item.done !== true; item = args.mails.next()) {
      if (args.ratePerSecond !== undefined) {
        const due = tally.started + (tally.taken++ * 1000) / args.ratePerSecond;
        if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
      }
      await command(socket, reader, `MAIL FROM:<${args.from}>`, '250');
      await command(socket, reader, `RCPT TO:<${args.to}>`, '250');
      await command(socket, reader, 'DATA', '354');
      const reply = reader.next();
      socket.write(dataBlock(item.value.text));
      const text = await reply;
      const code = text.slice(0, 3);
      if (code === '250') {
        tally.accepted += 1;
        args.onAccepted?.(tally.accepted, text);
      } else {
        tally.refused[code] = (tally.refused[code] ?? 0) + 1;
        await command(socket, reader, 'RSET', '250');
      }
    }
    await command(socket, reader, 'QUIT', '221');
  } finally {
    socket.destroy();
  }
}

/**
 * Sends prepared mails over a few long-lived SMTP sessions (no pipelining: each message waits
 * for its 250, as a careful MTA does). smtp-source cannot send given content; this can.
 */
export async function sendMails(args: SendMailsArgs): Promise<SendMailsResult> {
  const started = performance.now();
  const tally = { accepted: 0, refused: {} as Record<string, number>, started, taken: 0 };
  await Promise.all(Array.from({ length: args.sessions }, () => session(args, tally)));
  return { accepted: tally.accepted, refused: tally.refused, seconds: (performance.now() - started) / 1000 };
}
