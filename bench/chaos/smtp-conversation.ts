import { connect, type Socket } from 'node:net';

/** Raised when the connection ended (or failed) before a complete reply: nothing was acknowledged. */
export class ConnectionLost extends Error {}

/**
 * One SMTP client connection over a raw socket: each `reply()` is the next complete reply
 * (multi-line aware). Only a complete reply line counts; a connection that breaks mid-reply
 * rejects with ConnectionLost, so a half-read "25" is never taken for a 250.
 */
export class SmtpConversation {
  readonly #socket: Socket;
  #buffer = '';
  #lines: string[] = [];
  readonly #replies: string[] = [];
  #waiter: { resolve: (reply: string) => void; reject: (error: Error) => void } | undefined;
  #ended: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.#receive(chunk));
    socket.on('error', (error) => this.#end(new ConnectionLost(error.message)));
    socket.on('close', () => this.#end(new ConnectionLost('connection closed')));
  }

  static open(host: string, port: number, timeoutMs: number): Promise<SmtpConversation> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionLost('connect timeout'));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new ConnectionLost(error.message));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new SmtpConversation(socket));
      });
    });
  }

  #receive(chunk: string): void {
    this.#buffer += chunk;
    let end: number;
    while ((end = this.#buffer.indexOf('\r\n')) >= 0) {
      const line = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      this.#lines.push(line);
      // "250-…" continues a reply, "250 …" (or a bare code) ends it.
      if (line.length < 4 || line[3] === ' ') {
        this.#replies.push(this.#lines.join('\n'));
        this.#lines = [];
      }
    }
    this.#wake();
  }

  #end(error: Error): void {
    this.#ended ??= error;
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    const reply = this.#replies.shift();
    if (reply !== undefined) {
      this.#waiter = undefined;
      waiter.resolve(reply);
    } else if (this.#ended !== undefined) {
      this.#waiter = undefined;
      waiter.reject(this.#ended);
    }
  }

  /** The next complete reply; ConnectionLost when the connection ends first or nothing comes within `timeoutMs`. */
  reply(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        this.destroy();
        reject(new ConnectionLost(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#wake();
    });
  }

  write(data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#ended !== undefined) {
        reject(this.#ended);
        return;
      }
      this.#socket.write(data, 'latin1', (error) => (error ? reject(new ConnectionLost(error.message)) : resolve()));
    });
  }

  /** Sends a command line and returns the reply. */
  async command(line: string, timeoutMs: number): Promise<string> {
    await this.write(`${line}\r\n`);
    return this.reply(timeoutMs);
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

/** RFC 5321 dot-stuffing; the text ends with CRLF before the final dot. */
export function dataBlock(text: string): string {
  const stuffed = text.replace(/(^|\r\n)\./g, '$1..');
  return `${stuffed.endsWith('\r\n') ? stuffed : `${stuffed}\r\n`}.\r\n`;
}

export function replyCode(reply: string): string {
  return reply.slice(0, 3);
}
