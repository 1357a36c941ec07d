import net from 'node:net';

export interface SmtpReply {
  readonly code: number;
  /** Every line of the reply, without the code and separator. */
  readonly lines: readonly string[];
  readonly text: string;
}

/**
 * A bare SMTP client over node:net for what nodemailer cannot express: no SIZE parameter,
 * disconnects mid-DATA, bare LF and CR, pipelined or smuggled commands. It reads replies
 * (multi-line aware) into a queue.
 */
export class RawSmtpClient {
  readonly #socket: net.Socket;
  readonly #replies: SmtpReply[] = [];
  readonly #waiters: Array<(reply: SmtpReply | undefined) => void> = [];
  #buffer = '';
  #pendingLines: string[] = [];
  #closed = false;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => this.#onData(data));
    socket.on('close', () => {
      this.#closed = true;
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<{ client: RawSmtpClient; greeting: SmtpReply }> {
    const socket = net.connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawSmtpClient(socket);
    const greeting = await client.reply();
    return { client, greeting };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one command line and waits for its reply. */
  async command(line: string): Promise<SmtpReply> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.#socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /** The next reply; rejects if the connection closes first or none comes within `timeoutMs`. */
  async reply(timeoutMs = 10_000): Promise<SmtpReply> {
    const queued = this.#replies.shift();
    if (queued !== undefined) return queued;
    if (this.#closed) throw new Error('connection closed');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply in time')), timeoutMs);
      this.#waiters.push((reply) => {
        clearTimeout(timer);
        if (reply === undefined) reject(new Error('connection closed'));
        else resolve(reply);
      });
    });
  }

  /** Walks a session up to the 354 of DATA. */
  async startData(args: { readonly from: string; readonly to: readonly string[]; readonly helo?: string }): Promise<void> {
    expectCode(await this.command(`EHLO ${args.helo ?? 'client.test'}`), 250);
    expectCode(await this.command(`MAIL FROM:<${args.from}>`), 250);
    for (const to of args.to) expectCode(await this.command(`RCPT TO:<${to}>`), 250);
    expectCode(await this.command('DATA'), 354);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  async quit(): Promise<void> {
    if (this.#closed) return;
    await this.command('QUIT').catch(() => undefined);
    this.#socket.destroy();
  }

  #onData(data: string): void {
    this.#buffer += data;
    for (let end = this.#buffer.indexOf('\r\n'); end >= 0; end = this.#buffer.indexOf('\r\n')) {
      const line = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      this.#pendingLines.push(line);
      if (line.charAt(3) === '-') continue;
      const lines = this.#pendingLines.splice(0);
      const reply: SmtpReply = {
        code: Number(line.slice(0, 3)),
        lines: lines.map((entry) => entry.slice(4)),
        text: lines.map((entry) => entry.slice(4)).join('\n'),
      };
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter(reply);
      else this.#replies.push(reply);
    }
  }
}

export function expectCode(reply: SmtpReply, code: number): SmtpReply {
  if (reply.code !== code) throw new Error(`expected ${code}, got ${reply.code} ${reply.text}`);
  return reply;
}
