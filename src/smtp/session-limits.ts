import { IngestError } from '../core/ingest-error.js';
import { clientAddressKey } from './client-address-key.js';

export interface SessionLimitsArgs {
  /** Simultaneous sessions from one client address (an IPv6 client: its /64, see clientAddressKey). */
  readonly maxPerAddress: number;
  /** Wall-clock cap of one session, however active it is. */
  readonly sessionMaxMs: number;
  /** Addresses exempt from the per-address cap (trusted relays carry many clients); given the exact address. */
  readonly exempt: (address: string) => boolean;
  /** Called when a session outlives `sessionMaxMs`; the caller ends it. */
  readonly onExpired: (sessionId: string) => void;
}

interface Admitted {
  /** The counting key (clientAddressKey), not necessarily the address itself. */
  readonly address: string;
  readonly timer: NodeJS.Timeout;
}

/**
 * Per-address connection counts and the per-session deadline: smtp-server's `socketTimeout` is
 * an idle timeout that a one-byte-per-minute trickle resets, and `maxClients` alone lets one
 * address take every slot (slowloris).
 */
export class SessionLimits {
  readonly #args: SessionLimitsArgs;
  readonly #sessions = new Map<string, Admitted>();
  readonly #perAddress = new Map<string, number>();

  constructor(args: SessionLimitsArgs) {
    this.#args = args;
  }

  /**
   * Registers a new session or throws `TOO_MANY_CONNECTIONS` (421 4.7.0). The address is the TCP
   * peer's, at connection time: behind a relay that is the relay (exempt when trusted), since
   * XCLIENT/XFORWARD come later and the relay limits its own clients.
   */
  admit(session: { readonly id: string; readonly remoteAddress: string }): void {
    const address = clientAddressKey(session.remoteAddress);
    const count = this.#perAddress.get(address) ?? 0;
    if (count >= this.#args.maxPerAddress && !this.#args.exempt(session.remoteAddress)) {
      throw new IngestError('TOO_MANY_CONNECTIONS', 'too many connections from your address, try again later', {
        details: { address: session.remoteAddress, countedAs: address, limit: this.#args.maxPerAddress },
      });
    }
    this.#perAddress.set(address, count + 1);
    const timer = setTimeout(() => this.#args.onExpired(session.id), this.#args.sessionMaxMs);
    timer.unref();
    this.#sessions.set(session.id, { address, timer });
  }

  /** Forgets a session (safe for sessions never admitted and for repeated calls); true when it had been admitted (so it was counted as open). */
  release(sessionId: string): boolean {
    const admitted = this.#sessions.get(sessionId);
    if (admitted === undefined) return false;
    clearTimeout(admitted.timer);
    this.#sessions.delete(sessionId);
    const count = (this.#perAddress.get(admitted.address) ?? 1) - 1;
    if (count <= 0) this.#perAddress.delete(admitted.address);
    else this.#perAddress.set(admitted.address, count);
    return true;
  }

  releaseAll(): void {
    for (const sessionId of [...this.#sessions.keys()]) this.release(sessionId);
  }
}
