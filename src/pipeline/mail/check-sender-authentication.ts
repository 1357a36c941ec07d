import { IngestError } from '../../core/ingest-error.js';
import type { SenderAuthRequirement } from '../../core/sender-auth-requirement.js';
import { RECORDED_METHODS, type SenderAuthentication, type Verdicts } from './read-sender-authentication.js';

/** The methods a requirement accepts a `pass` of. */
const PASSING_METHODS: Readonly<Record<SenderAuthRequirement, readonly (keyof Verdicts)[]>> = {
  spf: ['spf'],
  dkim: ['dkim'],
  dmarc: ['dmarc'],
  any: ['spf', 'dkim', 'dmarc'],
};

/** Whether the trusted verdicts meet a requirement (see SenderAuthRequirement). */
export function senderAuthSatisfied(verdicts: Verdicts, requirement: SenderAuthRequirement): boolean {
  return PASSING_METHODS[requirement].some((method) => verdicts[method] === 'pass');
}

/**
 * Refuses the whole message with `SENDER_AUTH_REQUIRED` (550 5.7.1, mailhandler exit 77) when any
 * of its customers requires a verdict it lacks. One DATA reply (one pipe(8) exit status) answers
 * for every recipient, so the others cannot keep it: accepting it for them would tell the sender
 * it was delivered to all. The text names what was required and found, never the customer.
 */
export function checkSenderAuthentication(args: {
  readonly customers: readonly string[];
  readonly required: ReadonlyMap<string, SenderAuthRequirement>;
  readonly authentication: SenderAuthentication | undefined;
}): void {
  const verdicts = verdictsOnly(args.authentication);
  for (const customer of args.customers) {
    const requirement = args.required.get(customer);
    if (requirement === undefined || senderAuthSatisfied(verdicts, requirement)) continue;
    const wanted = requirement === 'any' ? 'an SPF, DKIM or DMARC pass' : `a ${requirement.toUpperCase()} pass`;
    const found = PASSING_METHODS[requirement].map((method) => `${method}=${verdicts[method] ?? 'none'}`).join(' ');
    const trusted = args.authentication?.authservId == null ? 'no trusted Authentication-Results header' : `${found} from ${args.authentication.authservId}`;
    throw new IngestError(
      'SENDER_AUTH_REQUIRED',
      `a recipient accepts only mail with ${wanted} from a trusted Authentication-Results header; found ${trusted}`,
      {
        details: { customer, requirement, verdicts, authservId: args.authentication?.authservId ?? null },
      },
    );
  }
}

function verdictsOnly(authentication: SenderAuthentication | undefined): Verdicts {
  const verdicts: Verdicts = {};
  for (const method of RECORDED_METHODS) {
    const verdict = authentication?.[method];
    if (verdict !== undefined) verdicts[method] = verdict;
  }
  return verdicts;
}
