import { DELIVERY_ID_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

/** Characters of a failing receiver's answer kept as the attempt's error (enough to read, never a whole page). */
const MAX_ERROR_BODY_CHARS = 300;
const USER_AGENT = 'DataProcessor-Alerts/1';

export interface AttemptResult {
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly error: string | null;
}

/**
 * One webhook attempt: POST the body, signed now, to the subscription's URL. Success is a 2xx
 * answer; a redirect is not followed (the signed notification goes where it was subscribed, or
 * nowhere). Never throws: a network error or timeout is a failed attempt. `signal` aborts it (the
 * timeout, or the service stopping).
 */
export async function postWebhook(args: {
  readonly url: string;
  readonly secret: string;
  readonly body: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly deliveryId: string;
  readonly signal: AbortSignal;
}): Promise<AttemptResult> {
  try {
    const response = await fetch(args.url, {
      method: 'POST',
      redirect: 'manual',
      signal: args.signal,
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': USER_AGENT,
        [SIGNATURE_HEADER]: signWebhook({ secret: args.secret, body: args.body, timestampSeconds: Date.now() / 1000 }),
        [EVENT_ID_HEADER]: args.eventId,
        [EVENT_TYPE_HEADER]: args.eventType,
        [DELIVERY_ID_HEADER]: args.deliveryId,
      },
      body: args.body,
    });
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel();
      return { ok: true, statusCode: response.status, error: null };
    }
    const text = await readStart(response, MAX_ERROR_BODY_CHARS);
    return { ok: false, statusCode: response.status, error: `HTTP ${response.status}${text === '' ? '' : `: ${text}`}` };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const reason = args.signal.aborted ? `no answer in time (${String(args.signal.reason)})` : String(cause ?? error);
    return { ok: false, statusCode: null, error: reason.slice(0, MAX_ERROR_BODY_CHARS) };
  }
}

/** The first `maxChars` of an answer, without reading a large one whole. */
async function readStart(response: Response, maxChars: number): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < maxChars) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.slice(0, maxChars).replace(/\s+/g, ' ').trim();
}
