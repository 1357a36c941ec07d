// The mailhandler's fast path (issue #15): hands the piped message to the running service's own SMTP
// listener on loopback instead of loading the application. A mailhandler run otherwise spends
// ~0.6 s compiling and initialising the application and connecting to the database, per message;
// this file needs only Node itself (node:net), so bin/dataprocessor.js runs it before importing
// anything else, and before it checks that dist/ is current.
//
// The answer is the service's: it replies 250 only once every customer's job is committed, and
// its refusals map to the sysexits statuses of the direct path (src/mailhandler/mailhandler-outcome.ts,
// checked by test/mailhandler/mailhandler-relay.test.ts). Whenever the relay cannot speak for the
// message before reading it (service down or busy, not trusting this host, an envelope it cannot
// express), it returns `{ fallback }` with standard input unread, and the direct path delivers.
import net from 'node:net';

/** Loopback: a service that does not answer in this time is treated as down. */
const CONNECT_TIMEOUT_MS = 2000;
/** Replies before DATA (the service routes recipients from its customer cache). */
const COMMAND_TIMEOUT_MS = 30_000;
/** Staging and committing a large message; Postfix's own `command_time_limit` is 1000 s. */
const FINAL_REPLY_TIMEOUT_MS = 600_000;
/** RFC 5321's path limit, as parse-mailhandler-args.ts. */
const MAX_ADDRESS_CHARS = 256;

const SYSEXITS = { ok: 0, dataError: 65, noUser: 67, unavailable: 69, tempFail: 75, noPermission: 77 };
/** The direct path's exit statuses for permanent refusals, by the reply's enhanced status (src/core/error-codes.ts). */
const EXIT_BY_STATUS = new Map([
  ['5.1.1', SYSEXITS.noUser],
  ['5.7.1', SYSEXITS.noPermission],
  ['5.3.4', SYSEXITS.dataError],
  ['5.6.0', SYSEXITS.dataError],
]);
/** Syntax and sequence errors say nothing about the mail: the envelope could not be relayed as written. */
const PROTOCOL_ERRORS = new Set([500, 501, 502, 503, 504, 555]);
const STATUS = /^([245])\.\d{1,3}\.\d{1,3} /;

/** `--relay host:port` or `--relay=host:port` among the mailhandler's arguments, else undefined. */
export function relayTarget(argv) {
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (arg === '--') return undefined;
    if (arg === '--relay') return argv[index + 1];
    if (arg.startsWith('--relay=')) return arg.slice('--relay='.length);
    // Skip the value of the other options: it is taken verbatim and may look like an option.
    if (/^--(sender|recipient|queue-id|client-address)$/.test(arg)) index += 1;
  }
  return undefined;
}

/**
 * The envelope, read as parse-mailhandler-args.ts reads it; null when it would refuse the
 * arguments, so that the direct path gives its usage error.
 */
export function relayEnvelope(argv) {
  const values = new Map();
  const recipients = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (arg === '--') {
      recipients.push(...argv.slice(index + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      recipients.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals < 0 ? undefined : equals);
    if (!['sender', 'recipient', 'queue-id', 'client-address', 'relay'].includes(name)) return null;
    const value = equals >= 0 ? arg.slice(equals + 1) : argv[(index += 1)];
    if (value === undefined || value.length > MAX_ADDRESS_CHARS) return null;
    if (name === 'recipient') recipients.push(value);
    else values.set(name, [...(values.get(name) ?? []), value]);
  }
  if ([...values.values()].some((given) => given.length > 1) || !values.has('sender')) return null;
  const seen = new Set();
  const distinct = [];
  for (const raw of recipients) {
    const address = raw.trim();
    if (seen.has(address.toLowerCase())) continue;
    seen.add(address.toLowerCase());
    distinct.push(address);
  }
  if (distinct.length === 0 || distinct.includes('')) return null;
  const sender = values.get('sender')[0].trim();
  return {
    sender: sender === '' || sender === '<>' ? null : sender,
    recipients: distinct,
    queueId: values.get('queue-id')?.[0] || undefined,
    clientAddress: values.get('client-address')?.[0] || undefined,
  };
}

/** The exit status the direct path gives the same refusal (mailhandlerOutcomeForError). */
export function exitForReply(code, text) {
  if (code >= 200 && code < 300) return SYSEXITS.ok;
  if (code < 500) return SYSEXITS.tempFail;
  return EXIT_BY_STATUS.get(STATUS.exec(text)?.[0].trim() ?? '') ?? SYSEXITS.unavailable;
}

/**
 * Relays one message. Resolves to `{ exitCode, line }` (the service's answer, as the direct path
 * would print it) or `{ fallback: reason }` with `message` unread.
 */
export async function relayMessage({ target, argv, message }) {
  const envelope = relayEnvelope(argv);
  if (envelope === null) return { fallback: 'arguments the direct path must judge' };
  const addresses = [envelope.sender ?? '', ...envelope.recipients];
  if (addresses.some((address) => /[\u0000-\u001f\u007f<>]/.test(address))) return { fallback: 'an address SMTP cannot carry' };
  const endpoint = parseTarget(target);
  if (endpoint === null) return { fallback: `--relay ${JSON.stringify(target)} is not host:port` };

  const session = await SmtpSession.connect(endpoint).catch((error) => ({ error }));
  if (session.error !== undefined) return { fallback: `${target}: ${session.error.code ?? session.error.message}` };
  try {
    return await converse(session, envelope, message, target);
  } finally {
    session.close();
  }
}

async function converse(session, envelope, message, target) {
  const greeting = await session.reply(COMMAND_TIMEOUT_MS);
  if (greeting.code !== 220) return { fallback: `${target} greeted ${greeting.code}` };
  const ehlo = await session.command('EHLO localhost');
  if (ehlo.code !== 250) return { fallback: `${target} answered EHLO with ${ehlo.code}` };
  const extensions = ehlo.lines.slice(1).map((line) => line.toUpperCase());
  // XFORWARD is offered only to smtp.trustedRelays. Without that trust the listener would treat
  // us as an outside client (Authentication-Results not believed, per-address connection
  // limits): a different policy from the direct path's, so the direct path takes the message.
  if (!extensions.some((line) => line.startsWith('XFORWARD'))) return { fallback: `${target} does not trust this host (smtp.trustedRelays)` };

  const utf8 = [envelope.sender ?? '', ...envelope.recipients].some((address) => /[^\u0000-\u007f]/.test(address));
  if (utf8 && !extensions.includes('SMTPUTF8')) return { fallback: `${target} does not offer SMTPUTF8` };
  const transaction = [
    `MAIL FROM:<${envelope.sender ?? ''}>${extensions.includes('8BITMIME') ? ' BODY=8BITMIME' : ''}${utf8 ? ' SMTPUTF8' : ''}`,
    ...envelope.recipients.map((recipient) => `RCPT TO:<${recipient}>`),
  ];
  // One round trip for the envelope when the service allows (RFC 2920); DATA waits for the
  // replies, so a refused recipient never sees a message sent to the others.
  const forwarded = xforwardCommand(envelope);
  if (forwarded !== null) transaction.unshift(forwarded);
  const replies = extensions.includes('PIPELINING') ? await session.commands(transaction) : await sequentially(session, transaction);
  if (forwarded !== null && replies.shift()?.code !== 250) return { fallback: `${target} refused XFORWARD` };
  // All or nothing, as the direct path: pipe(8) has one exit status for the whole delivery.
  for (const [index, reply] of replies.entries()) {
    if (reply.code !== 250 && reply.code !== 251) return refusedOrFallback(reply, index === 0 ? 'MAIL FROM' : 'RCPT TO', target);
  }
  const data = await session.command('DATA');
  if (data.code !== 354) return refusedOrFallback(data, 'DATA', target);

  // From here on standard input is being read: whatever goes wrong defers the message.
  try {
    const replied = session.reply(FINAL_REPLY_TIMEOUT_MS);
    replied.catch(() => undefined);
    await session.sendMessage(message);
    return outcome(await replied);
  } catch (error) {
    return { exitCode: SYSEXITS.tempFail, line: `4.4.2 relay to ${target} failed during DATA: ${error.code ?? error.message}` };
  }
}

async function sequentially(session, lines) {
  const replies = [];
  for (const line of lines) {
    const reply = await session.command(line);
    replies.push(reply);
    if (reply.code >= 300) break;
  }
  return replies;
}

/** 4xx: try later, as the direct path; a protocol error: the direct path decides; 5xx: the refusal. */
function refusedOrFallback(reply, stage, target) {
  if (PROTOCOL_ERRORS.has(reply.code)) return { fallback: `${target} answered ${stage} with ${reply.code} ${reply.text}` };
  return outcome(reply);
}

function outcome(reply) {
  const exitCode = exitForReply(reply.code, reply.text);
  const wanted = exitCode === SYSEXITS.ok ? '2' : exitCode === SYSEXITS.tempFail ? '4' : '5';
  // pipe(8) lets a leading RFC 3463 status decide the delivery: it must agree with the exit status.
  const status = STATUS.exec(reply.text);
  const line = status !== null && status[1] === wanted ? reply.text : `${wanted}.0.0 ${reply.text}`;
  return { exitCode, line };
}

/** XFORWARD with Postfix's queue id and the original client, so the job records them as the direct path does. */
function xforwardCommand(envelope) {
  const parts = [];
  const address = envelope.clientAddress?.replace(/^ipv6:/i, '');
  if (address !== undefined && net.isIP(address) !== 0) parts.push(`ADDR=${xtext(address)}`);
  if (envelope.queueId !== undefined) parts.push(`IDENT=${xtext(envelope.queueId)}`);
  return parts.length === 0 ? null : `XFORWARD ${parts.join(' ')}`;
}

/** RFC 3461 xtext: `+XX` for `+`, `=`, and anything outside printable ASCII. */
function xtext(value) {
  return value.replace(/[^\u0021-\u002a\u002c-\u003c\u003e-\u007e]/gu, (char) =>
    [...Buffer.from(char)].map((byte) => `+${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

function parseTarget(target) {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(target ?? '');
  if (match === null || Number(match[2]) < 1 || Number(match[2]) > 65535) return null;
  return { host: match[1], port: Number(match[2]) };
}

/** One SMTP client connection: replies are read line by line, in order. */
class SmtpSession {
  #socket;
  #buffered = '';
  #lines = [];
  #waiting = null;
  #ended = null;

  constructor(socket) {
    this.#socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (text) => this.#take(text));
    socket.on('error', (error) => this.#end(error));
    socket.on('close', () => this.#end(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' })));
  }

  static connect({ host, port }) {
    return new Promise((resolve, reject) => {
      // noDelay: the closing "." is a small write right after the message; with Nagle's algorithm it
      // would wait for the service's delayed ACK of the last chunk (40 ms on Linux) before it leaves.
      const socket = net.connect({ host, port, noDelay: true });
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new SmtpSession(socket));
      });
    });
  }

  /** Sends one command line and reads its reply. */
  async command(line) {
    this.#socket.write(`${line}\r\n`);
    return this.reply(COMMAND_TIMEOUT_MS);
  }

  /** Sends several command lines at once and reads a reply to each, in order. */
  async commands(lines) {
    this.#socket.write(lines.map((line) => `${line}\r\n`).join(''));
    const replies = [];
    for (let count = 0; count < lines.length; count += 1) replies.push(await this.reply(COMMAND_TIMEOUT_MS));
    return replies;
  }

  /** The next reply, `{ code, text, lines }`, multi-line replies joined. */
  async reply(timeoutMs) {
    const lines = [];
    for (;;) {
      const line = await this.#nextLine(timeoutMs);
      lines.push(line.slice(4));
      if (line[3] !== '-') return { code: Number(line.slice(0, 3)), text: lines.join(' ').trim(), lines };
    }
  }

  /**
   * Streams the message: bare LF becomes CRLF (SMTP's line end; Postfix's own SMTP client does the
   * same), a line that starts with a dot gets a second one (RFC 5321 4.5.2), then the end mark.
   * Waits for the socket to drain, so memory stays bounded whatever the size.
   */
  async sendMessage(message) {
    const state = { lineStart: true, afterCr: false };
    for await (const chunk of message) {
      if (this.#ended !== null) throw this.#ended;
      if (!this.#socket.write(encodeChunk(Buffer.from(chunk), state))) await this.#drained();
    }
    if (this.#ended !== null) throw this.#ended;
    this.#socket.write(state.lineStart ? '.\r\n' : '\r\n.\r\n');
  }

  close() {
    if (this.#ended === null) this.#socket.end('QUIT\r\n');
    setTimeout(() => this.#socket.destroy(), 1000).unref();
  }

  /** Until the socket takes more, or is gone (then the next write or read reports why). */
  #drained() {
    return new Promise((resolve) => {
      const done = () => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  #take(text) {
    this.#buffered += text;
    let end;
    while ((end = this.#buffered.indexOf('\n')) >= 0) {
      this.#lines.push(this.#buffered.slice(0, end).replace(/\r$/, ''));
      this.#buffered = this.#buffered.slice(end + 1);
    }
    this.#wake();
  }

  #end(error) {
    this.#ended ??= error;
    this.#wake();
  }

  #wake() {
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.();
  }

  async #nextLine(timeoutMs) {
    let timer;
    try {
      for (;;) {
        if (this.#lines.length > 0) return this.#lines.shift();
        if (this.#ended !== null) throw this.#ended;
        await new Promise((resolve, reject) => {
          this.#waiting = resolve;
          timer = setTimeout(() => reject(Object.assign(new Error(`no reply in ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), timeoutMs);
        });
        clearTimeout(timer);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

/** CRLF line ends and dot-stuffing for one chunk; `state` carries the line position across chunks. */
export function encodeChunk(chunk, state) {
  const out = Buffer.allocUnsafe(chunk.length * 2 + 1);
  let length = 0;
  for (let index = 0; index < chunk.length; index += 1) {
    const byte = chunk[index];
    if (state.lineStart && byte === 0x2e) out[length++] = 0x2e;
    if (byte === 0x0a && !state.afterCr) out[length++] = 0x0d;
    out[length++] = byte;
    state.afterCr = byte === 0x0d;
    state.lineStart = byte === 0x0a;
  }
  return out.subarray(0, length);
}
