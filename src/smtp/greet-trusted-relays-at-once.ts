import { SMTPConnection, isAddressAllowed } from 'smtp-server/lib/smtp-connection.js';

let applied = false;

/**
 * smtp-server waits a fixed 100 ms before every greeting to catch clients that talk too soon (a
 * spam-bot trait), and has no option for it. Our trusted relays (`smtp.trustedRelays`: the local
 * Postfix, `mailhandler --relay`) are not spam bots, and for one message per connection that
 * pause is most of the cost: they are greeted at once. Everyone else keeps the pause. This
 * replaces SMTPConnection#init (smtp-server is pinned; test/smtp/trusted-relay-greeting.test.ts
 * fails if a new version changes what init does), keeping its connection-limit check as is.
 */
export function greetTrustedRelaysAtOnce(): void {
  if (applied) return;
  applied = true;
  const pausing = SMTPConnection.prototype.init;
  SMTPConnection.prototype.init = function (this: SMTPConnection): void {
    if (!isAddressAllowed(this._server.options.useXForward, this._originalRemoteAddress)) return pausing.call(this);
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients !== undefined && maxClients > 0 && this._server.connections.size > maxClients) {
        return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
      }
      setImmediate(() => this.connectionReady());
    });
  };
}
