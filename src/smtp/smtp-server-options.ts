import { readFile } from 'node:fs/promises';
import type { SMTPServerOptions } from 'smtp-server';
import type { Config } from '../config/config-schema.js';

/**
 * smtp-server's options from our config, hooks aside. Notable choices:
 * - `size` is advertised and a larger declared SIZE is refused at MAIL FROM (552); the cap
 *   while streaming is ours (see limitedMessage), so `rejectOversized` stays off.
 * - STARTTLS only with a configured certificate (never the library's published test key);
 *   AUTH only when enabled, and then optional (allow-lists still admit unauthenticated senders).
 * - XCLIENT/XFORWARD only from `trustedRelays`.
 * - Enhanced status codes are left to our reply texts (`4.3.0 …`), so the library adds none.
 */
export async function smtpServerOptions(config: Config): Promise<SMTPServerOptions> {
  const smtp = config.smtp;
  const tls =
    smtp.tls.certFile !== null && smtp.tls.keyFile !== null ? { cert: await readFile(smtp.tls.certFile), key: await readFile(smtp.tls.keyFile) } : undefined;
  const relays = smtp.trustedRelays.length > 0 ? [...smtp.trustedRelays] : false;
  return {
    name: smtp.hostname ?? config.node.name,
    banner: 'DataProcessor ingest',
    size: smtp.maxMessageBytes,
    maxClients: smtp.maxClients,
    disableReverseLookup: smtp.disableReverseLookup,
    socketTimeout: smtp.socketTimeoutSeconds * 1000,
    closeTimeout: Math.max(1, config.shutdown.graceSeconds) * 1000,
    logger: false,
    hideENHANCEDSTATUSCODES: true,
    disabledCommands: [...(tls === undefined ? ['STARTTLS'] : []), ...(smtp.auth.enabled ? [] : ['AUTH'])],
    authOptional: true,
    authMethods: ['PLAIN', 'LOGIN'],
    useXClient: relays,
    useXForward: relays,
    ...(tls ?? {}),
  };
}
