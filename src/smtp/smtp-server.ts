import type { RefusedArrival } from '../core/refused-arrival.js';
import { refusalWithCustomer } from './smtp-refusal.js';
import type { AddressInfo, Socket } from 'node:net';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationResponse,
  type SMTPServerDataStream,
  type SMTPServerEnvelope,
  type SMTPServerSession,
} from 'smtp-server';
import type { Config } from '../config/config-schema.js';
import type { Logger } from '../logging/logging.js';
import type { AcceptResult } from '../pipeline/accept.js';
import { IngestError, toIngestError } from '../core/ingest-error.js';
import type { ReceivedMail } from '../pipeline/mail/accept-mail.js';
import { ensureFreeSpace, roomForMessage } from '../pipeline/mail/ensure-free-space.js';
import { checkRecipient } from './check-recipient.js';
import { cachedCustomers, type FindCustomers } from './customer-cache.js';
import { deliverMessage, type RoutedRecipient } from './deliver-message.js';
import { smtpErrorFor } from './reply-for-error.js';
import { SessionLimits } from './session-limits.js';
import { verifySmtpLogin, type SmtpUser } from './smtp-auth.js';
import { smtpServerOptions } from './smtp-server-options.js';
import { greetTrustedRelaysAtOnce } from './greet-trusted-relays-at-once.js';

/** After in-flight messages are done (or the grace is over), how long closing sessions may linger. */
const CLOSE_LINGER_MS = 2000;

export interface SmtpListenerArgs {
  readonly config: Config;
  /** The pipeline's entry for a received mail (acceptMail bound to the pipeline, which decides how it is stored). */
  readonly acceptMail: (mail: ReceivedMail) => Promise<AcceptResult[]>;
  /** Every customer with its ingest addresses and sender allow-list (cached here for a few seconds). */
  readonly findCustomers: FindCustomers;
  readonly logger: Logger;
  /** Counters for /metrics: sessions and the reply codes of every refusal and acceptance. */
  readonly observe?: {
    sessionOpened(): void;
    sessionClosed(): void;
    replied(code: number): void;
    /** Every refusal, for the refused_arrivals table (GET /api/1.0/refused). */
    refused?(refusal: RefusedArrival): void;
  };
}

export interface SmtpListener {
  start(): Promise<void>;
  /** Stops accepting, lets messages in progress finish (up to the shutdown grace), then closes every session. */
  stop(): Promise<void>;
  /** Where it listens, once started. */
  address(): { readonly host: string; readonly port: number } | null;
}

/**
 * The SMTP entry point: smtp-server with our hooks. It translates the protocol to the pipeline
 * and back and nothing else: routing decides the customer at RCPT TO, DATA goes to acceptMail,
 * and every error becomes a reply through replyForError (a transient fault is never a 5xx).
 * The 250 is sent only after every customer's job is committed.
 */
export function createSmtpListener(args: SmtpListenerArgs): SmtpListener {
  const { config, logger } = args;
  const smtp = config.smtp;
  const customers = cachedCustomers({ load: args.findCustomers, ttlMs: smtp.customerCacheSeconds * 1000 });
  const recipientsByEnvelope = new WeakMap<SMTPServerEnvelope, Map<string, RoutedRecipient>>();
  const inFlight = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  const trusted = new Set(smtp.trustedRelays);
  let server: SMTPServer | undefined;

  const limits = new SessionLimits({
    maxPerAddress: smtp.maxConnectionsPerAddress,
    sessionMaxMs: smtp.sessionMaxSeconds * 1000,
    exempt: (address) => trusted.has(address),
    onExpired: (sessionId) => closeSession(sessionId, 'session time limit reached', (name) => `4.4.2 ${name} Session time limit reached, closing connection`),
  });

  /** Ends one session with a 421 (smtp-server has no per-session handle, so it is found by id). */
  function closeSession(sessionId: string, why: string, text: (name: string) => string): void {
    for (const connection of server?.connections ?? []) {
      if (connection.session.id !== sessionId) continue;
      logger.warn(`${why}: closing`, { sessionId, remoteAddress: connection.remoteAddress });
      args.observe?.replied(421);
      connection.send(421, text(connection.name));
      connection.close();
    }
  }

  /** Runs a hook body and answers smtp-server's callback with nothing or a mapped error. */
  function settle(
    session: SMTPServerSession,
    hook: 'connection' | 'MAIL FROM' | 'RCPT TO',
    body: () => unknown,
    callback: (error?: Error | null) => void,
    recipient?: string,
  ): void {
    Promise.resolve()
      .then(body)
      .then(
        () => callback(),
        (error: unknown) => {
          const ingestError = toIngestError(error);
          const level = ingestError.transient ? 'warn' : 'info';
          logger[level](`${hook} refused`, { sessionId: session.id, remoteAddress: session.remoteAddress, code: ingestError.code, error: ingestError.message });
          const reply = smtpErrorFor(ingestError);
          args.observe?.replied(reply.responseCode);
          callback(reply);
          const refused = args.observe?.refused;
          if (refused !== undefined) {
            void refusalWithCustomer({ session, stage: hook, error: ingestError, reply, recipient, customers, ingestDomains: smtp.ingestDomains }).then(
              refused,
            );
          }
        },
      );
  }

  function onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (error?: Error | null) => void): void {
    settle(
      session,
      'RCPT TO',
      async () => {
        const routed = recipientsByEnvelope.get(session.envelope) ?? new Map<string, RoutedRecipient>();
        const key = address.address.toLowerCase();
        if (routed.size >= smtp.maxRecipients && !routed.has(key)) {
          throw new IngestError('TOO_MANY_RECIPIENTS', `at most ${smtp.maxRecipients} recipients per message`);
        }
        const user = authenticatedUser(session);
        const list = await customers();
        const customer = checkRecipient({
          address: address.address,
          sender: session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address,
          customers: list,
          ingestDomains: smtp.ingestDomains,
          requireSenderAllowList: smtp.requireSenderAllowList,
          ...(user === undefined ? {} : { authenticated: { customer: user.customer } }),
        });
        // An AUTHenticated session skips the verdict too, as it skips allow-lists: its password is the proof.
        const requireSenderAuth = user === undefined ? (list.find((known) => known.slug === customer)?.requireSenderAuth ?? null) : null;
        routed.set(key, { address: address.address, customer, requireSenderAuth });
        recipientsByEnvelope.set(session.envelope, routed);
      },
      callback,
      address.address,
    );
  }

  function onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null, message?: string) => void): void {
    const tracked = deliverMessage(
      {
        stream,
        session,
        recipients: [...(recipientsByEnvelope.get(session.envelope)?.values() ?? [])],
        smtp,
        acceptMail: args.acceptMail,
        logger,
        replied: (code) => args.observe?.replied(code),
        refused: (refusal) => args.observe?.refused?.(refusal),
        closeSession: (why, text) => closeSession(session.id, why, text),
      },
      callback,
    ).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }

  function onAuth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: (error: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ): void {
    const user =
      auth.method === 'PLAIN' || auth.method === 'LOGIN'
        ? verifySmtpLogin({ users: smtp.auth.users, username: auth.username ?? '', password: auth.password ?? '' })
        : undefined;
    if (user === undefined) {
      logger.info('authentication failed', { sessionId: session.id, remoteAddress: session.remoteAddress, method: auth.method });
      callback(null, { message: '5.7.8 Authentication credentials invalid', responseCode: 535 });
      return;
    }
    callback(null, { user });
  }

  return {
    async start() {
      const options = await smtpServerOptions(config);
      greetTrustedRelaysAtOnce();
      const instance = new SMTPServer({
        ...options,
        onConnect: (session, callback) =>
          settle(
            session,
            'connection',
            () => {
              limits.admit(session);
              args.observe?.sessionOpened();
            },
            callback,
          ),
        onClose: (session) => {
          if (limits.release(session.id)) args.observe?.sessionClosed();
        },
        onMailFrom: (_address, session, callback) =>
          settle(session, 'MAIL FROM', () => ensureFreeSpace({ dir: config.dataRoot, neededBytes: roomForMessage(smtp.maxMessageBytes) }), callback),
        onRcptTo,
        onData,
        ...(smtp.auth.enabled ? { onAuth } : {}),
      });
      instance.server.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        instance.once('error', reject);
        instance.listen(smtp.port, smtp.host, () => {
          instance.off('error', reject);
          resolve();
        });
      });
      // Connection-level errors (a client reset mid-transaction) are reported here; without a
      // listener an EventEmitter 'error' would end the process.
      instance.on('error', (error: Error) => logger.debug('smtp connection error', { error: error.message }));
      server = instance;
      const listening = this.address();
      logger.info('SMTP listening', {
        ...listening,
        maxMessageBytes: smtp.maxMessageBytes,
        ingestDomains: smtp.ingestDomains,
        tls: options.disabledCommands?.includes('STARTTLS') !== true,
        auth: smtp.auth.enabled,
      });
    },

    async stop() {
      const instance = server;
      if (instance === undefined) return;
      server = undefined;
      const closed = new Promise<void>((resolve) => instance.close(() => resolve()));
      const graceMs = config.shutdown.graceSeconds * 1000;
      await settledWithin(Promise.allSettled([...inFlight]), graceMs);
      for (const connection of instance.connections) {
        connection.send(421, `4.3.2 ${connection.name} Service shutting down`);
        connection.close();
      }
      await settledWithin(closed, CLOSE_LINGER_MS);
      for (const socket of sockets) socket.destroy();
      limits.releaseAll();
      logger.info('SMTP stopped');
    },

    address() {
      const bound = server?.server.address();
      if (bound === null || bound === undefined || typeof bound === 'string') return null;
      return { host: (bound as AddressInfo).address, port: (bound as AddressInfo).port };
    },
  };
}

/** The user this session AUTHenticated as; smtp-server leaves `false` or nothing otherwise (XCLIENT sets false). */
function authenticatedUser(session: SMTPServerSession): SmtpUser | undefined {
  const user: unknown = session.user;
  return user !== null && typeof user === 'object' && typeof (user as Partial<SmtpUser>).username === 'string' ? (user as SmtpUser) : undefined;
}

/** Waits for `promise`, but no longer than `ms`; the timer never outlives the wait. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
