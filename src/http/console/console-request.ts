import type { PageSession } from './console-layout.js';
import type { ConsoleState } from './console-session.js';

/** A query parameter as one trimmed string; absent, empty or repeated: undefined. */
export function textParam(value: string | readonly string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text === '' ? undefined : text;
}

export function pageSession(state: ConsoleState): PageSession {
  return { caller: state.caller, csrf: state.csrf };
}

/** The notices a redirect may ask for (`?done=`): a fixed list, so no text from a URL reaches the page. */
const NOTICES: Readonly<Record<string, string>> = {
  retried: 'The job was sent back to the queue.',
  cancelled: 'The job was cancelled.',
  'cancel-requested': 'Cancellation requested: the running job stops at its next checkpoint.',
  replayed: 'Replayed: this is the new job made from the same originals.',
  assigned: 'Assigned: the job is queued and runs like any other.',
  dismissed: 'Dismissed with your reason.',
  held: 'Hold placed: matching jobs wait until it is released.',
  released: 'Hold released: its jobs are queued again, oldest arrival first.',
};

export function noticeFor(done: string | readonly string[] | undefined): string | undefined {
  return typeof done === 'string' && Object.hasOwn(NOTICES, done) ? NOTICES[done] : undefined;
}

/** After a POST: 303 See Other, so reloading the page shown does not send the form again. */
export function redirectTo(ctx: { redirect(url: string): void; status: number }, url: string): void {
  ctx.redirect(url);
  ctx.status = 303;
}
