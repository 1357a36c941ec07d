import type { AddressObject, HeaderLines, Headers } from 'mailparser';

/** RFC 5322's line limit: more of a header than any classification rule or display needs. */
export const MAX_HINT_CHARS = 998;

/**
 * Classification and display facts from a mail's top-level headers: `subject` (decoded,
 * unfolded), `from`, `to`, `messageId` and `date` (ISO 8601, only when the header parses).
 * Values are single-line (control characters become spaces, so an encoded `\r\nBcc:` cannot
 * forge a second field), NUL-free and bounded. Absent headers give no key. The body is never
 * a hint: it can be megabytes.
 */
export function mailHints(args: { readonly headers: Headers; readonly headerLines: HeaderLines }): Record<string, string> {
  const { headers } = args;
  const hints: Record<string, string> = {};
  const put = (key: string, value: string | undefined): void => {
    const cleaned = value === undefined ? '' : singleLine(value);
    if (cleaned !== '') hints[key] = cleaned;
  };
  const subject = headers.get('subject');
  put('subject', typeof subject === 'string' ? subject : undefined);
  put('from', addressText(headers.get('from')));
  put('to', addressText(headers.get('to')));
  const messageId = headers.get('message-id');
  put('messageId', typeof messageId === 'string' ? messageId : undefined);
  put('date', headerDate(args.headerLines));
  return hints;
}

function addressText(value: unknown): string | undefined {
  const objects = (Array.isArray(value) ? value : [value]).filter(isAddressObject);
  return objects.length === 0 ? undefined : objects.map((object) => object.text).join(', ');
}

function isAddressObject(value: unknown): value is AddressObject {
  return value !== null && typeof value === 'object' && typeof (value as { text?: unknown }).text === 'string';
}

/**
 * mailparser turns an unparseable Date header into "now", which would pass for a real send
 * time; reading the raw line tells the two apart.
 */
function headerDate(headerLines: HeaderLines): string | undefined {
  const line = headerLines.find((header) => header.key === 'date')?.line;
  if (line === undefined) return undefined;
  const raw = line
    .slice(line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
  const time = Date.parse(raw);
  return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}

function singleLine(value: string): string {
  return value
    .slice(0, MAX_HINT_CHARS * 2)
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, MAX_HINT_CHARS)
    .trimEnd();
}
