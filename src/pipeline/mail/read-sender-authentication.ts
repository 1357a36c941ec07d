import { truncateUtf8 } from './clean-original-name.js';
import { parseAuthenticationResults, type AuthenticationResult } from './parse-authentication-results.js';

/** The methods whose verdicts are recorded (and, but for ARC, can satisfy a customer's requirement). */
export const RECORDED_METHODS = ['spf', 'dkim', 'dmarc', 'arc'] as const;
export type RecordedMethod = (typeof RECORDED_METHODS)[number];
export type Verdicts = Partial<Record<RecordedMethod, string>>;

/** One Authentication-Results header as recorded on the job. */
export interface RecordedAuthenticationHeader extends Verdicts {
  readonly authservId: string;
  /** Its authserv-id is one of `smtp.trustedAuthservIds`. An untrusted header is the sender's own word. */
  readonly trusted: boolean;
  /** The header's value, unfolded and cut to `MAX_RECORDED_HEADER_BYTES`. */
  readonly header: string;
}

/**
 * What the job records (`sourceRef.authentication`): the verdicts of trusted headers only, the
 * authserv-id they come from (null when no header was trusted), and every header seen.
 */
export interface SenderAuthentication extends Verdicts {
  readonly authservId: string | null;
  readonly headers: readonly RecordedAuthenticationHeader[];
}

/** RFC 5322's line limit: enough of a header to read what it said. */
export const MAX_RECORDED_HEADER_BYTES = 998;
/** Each hop adds one or a few; more than this is noise (or an attack on the job record's size). */
export const MAX_RECORDED_HEADERS = 16;

const HEADER_NAME = 'authentication-results';

/**
 * Reads the Authentication-Results headers (RFC 8601) of a message's header block, topmost first.
 *
 * Trust: anyone can write this header, so only one whose authserv-id is in `trustedAuthservIds`
 * (the border MTA's own, compared case-insensitively; the SMTP listener passes none for a client
 * that is not a trusted relay) counts; the others are recorded with
 * `trusted: false` and never satisfy a requirement. The MTA must also remove inbound headers that
 * claim its authserv-id (RFC 8601, section 5; docs/operations.md, "Sender security").
 *
 * Verdict per method: from the topmost trusted header that reports it (hops prepend, so that is
 * the one nearest to us); within that header, `pass` when any of its results for the method
 * passes (one DKIM result per signature, and one good signature is enough), else the first.
 *
 * Undefined when the block has no Authentication-Results header at all.
 */
export function readSenderAuthentication(args: {
  readonly headerBlock: Buffer;
  readonly trustedAuthservIds: readonly string[];
}): SenderAuthentication | undefined {
  const trusted = new Set(args.trustedAuthservIds.map((id) => id.trim().toLowerCase()));
  const values = headerValues(args.headerBlock.toString('utf8'), HEADER_NAME);
  if (values.length === 0) return undefined;
  const headers: RecordedAuthenticationHeader[] = [];
  const verdicts: Verdicts = {};
  let authservId: string | null = null;
  for (const value of values.slice(0, MAX_RECORDED_HEADERS)) {
    const parsed = parseAuthenticationResults(value);
    const isTrusted = parsed !== undefined && trusted.has(parsed.authservId);
    const own = parsed === undefined ? {} : verdictsOf(parsed.results);
    headers.push({ authservId: parsed?.authservId ?? '', trusted: isTrusted, ...own, header: truncateUtf8(value, MAX_RECORDED_HEADER_BYTES) });
    if (!isTrusted) continue;
    authservId ??= parsed.authservId;
    for (const method of RECORDED_METHODS) {
      if (verdicts[method] === undefined && own[method] !== undefined) verdicts[method] = own[method];
    }
  }
  return { authservId, ...verdicts, headers };
}

function verdictsOf(results: readonly AuthenticationResult[]): Verdicts {
  const verdicts: Verdicts = {};
  for (const method of RECORDED_METHODS) {
    const own = results.filter((result) => result.method === method).map((result) => result.result);
    if (own.length > 0) verdicts[method] = own.includes('pass') ? 'pass' : own[0]!;
  }
  return verdicts;
}

/**
 * The unfolded values of every field named `name` in an RFC 5322 header block, in order. Control
 * characters become spaces. Reading stops at the blank line that ends the header.
 */
export function headerValues(block: string, name: string): string[] {
  const values: string[] = [];
  let current: string | undefined;
  const finish = (): void => {
    if (current !== undefined) values.push(current.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim());
    current = undefined;
  };
  for (const line of block.split(/\r?\n/)) {
    if (line === '') break;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (current !== undefined) current += ` ${line.trim()}`;
      continue;
    }
    finish();
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trimEnd().toLowerCase() === name) current = line.slice(colon + 1);
  }
  finish();
  return values;
}
