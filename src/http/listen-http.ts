import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config-schema.js';

/** A request may last as long as it keeps sending (a multi-GiB upload); a silent socket is cut. */
const HTTP_IDLE_SOCKET_MS = 120_000;
/** Node checks header deadlines on this period (default 30 s): a short limit needs a finer check. */
const MAX_CONNECTIONS_CHECK_MS = 30_000;
const MIN_CONNECTIONS_CHECK_MS = 100;

/** Serves `handler` on the configured host and port; resolves once it listens. */
export function listenHttp(handler: RequestListener, settings: Config['http']): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const headersTimeout = settings.timeouts.headersSeconds * 1000;
    // No requestTimeout: it is a total for the whole body and would end any long upload. JSON
    // bodies get a total limit from the app (limitBodyTime), uploads an idle one (stageUploadBody).
    const server = createServer(
      {
        requestTimeout: 0,
        headersTimeout,
        connectionsCheckingInterval: Math.max(MIN_CONNECTIONS_CHECK_MS, Math.min(MAX_CONNECTIONS_CHECK_MS, headersTimeout / 4)),
      },
      handler,
    );
    server.timeout = HTTP_IDLE_SOCKET_MS;
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Stops accepting and resolves once requests in progress are done; idle keep-alive sockets go at once. */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** The URL a client on this machine reaches `server` at (a wildcard bind is reached on loopback). */
export function httpUrlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  return `http://${formatHost(address)}:${address.port}`;
}

function formatHost(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return host.includes(':') ? `[${host}]` : host;
}
