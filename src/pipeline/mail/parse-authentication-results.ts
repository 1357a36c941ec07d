/** One `method=result` of an Authentication-Results header, both lower-cased. */
export interface AuthenticationResult {
  readonly method: string;
  readonly result: string;
}

/** What one Authentication-Results header says: who evaluated, and the results it lists. */
export interface ParsedAuthenticationResults {
  /** Lower-cased, as hosts name themselves case-insensitively (it is usually a host name). */
  readonly authservId: string;
  /** In header order; one method may appear several times (one DKIM result per signature). */
  readonly results: readonly AuthenticationResult[];
}

/**
 * A header value longer than any honest one (an MTA writes a few hundred characters): the rest is
 * not parsed, so a hostile header costs bounded work.
 */
export const MAX_PARSED_VALUE_CHARS = 16 * 1024;
/** More results than one evaluation produces; the rest are ignored. */
const MAX_RESULTS = 64;
/** RFC 8601 `Keyword`s are short; anything else is not a method or result we could match. */
const KEYWORD = /^[a-z0-9](?:[a-z0-9_-]{0,62})$/;
/** `method[/version] = result`, after comments are gone; the properties that follow are not needed. */
const METHOD_SPEC = /^([a-z0-9][a-z0-9_-]*)\s*(?:\/\s*\d+\s*)?=\s*([a-z0-9][a-z0-9_-]*)/;

/**
 * Reads the value of one Authentication-Results header (RFC 8601, section 2.2): the authserv-id,
 * then `; method=result …` per result. Comments (nested, with quoted pairs) are removed and `;`
 * inside quoted strings does not split. Properties (`smtp.mailfrom=…`, `header.d=…`) and reasons
 * are skipped: only verdicts are kept. Undefined when the value has no authserv-id; a result that
 * does not parse is left out rather than guessed at.
 *
 * No library in the dependency tree reads this header (mailparser keeps it as text), and the
 * grammar needed for verdicts is this small.
 */
export function parseAuthenticationResults(value: string): ParsedAuthenticationResults | undefined {
  const [head, ...resinfos] = splitOutsideQuotes(withoutComments(value.slice(0, MAX_PARSED_VALUE_CHARS)), ';');
  const authservId = unquote(head?.trim().split(/\s+/, 1)[0] ?? '').toLowerCase();
  if (authservId === '' || /[\s;]/.test(authservId)) return undefined;
  const results: AuthenticationResult[] = [];
  for (const resinfo of resinfos) {
    const match = METHOD_SPEC.exec(resinfo.trim().toLowerCase());
    const method = match?.[1];
    const result = match?.[2];
    if (method === undefined || result === undefined || !KEYWORD.test(method) || !KEYWORD.test(result)) continue;
    results.push({ method, result });
    if (results.length >= MAX_RESULTS) break;
  }
  return { authservId, results };
}

/** The value with every comment replaced by a space; an unclosed comment runs to the end. */
function withoutComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let index = 0; index < value.length; index += 1) {
    const character = value[index]!;
    if (character === '\\' && (quoted || depth > 0)) {
      // A quoted pair: the next character is literal (and kept only inside a quoted string).
      if (quoted) out += character + (value[index + 1] ?? '');
      index += 1;
      continue;
    }
    if (depth > 0) {
      if (character === '(') depth += 1;
      else if (character === ')') depth -= 1;
      if (depth === 0) out += ' ';
      continue;
    }
    if (character === '"') quoted = !quoted;
    else if (character === '(' && !quoted) {
      depth = 1;
      continue;
    }
    out += character;
  }
  return out;
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < value.length; index += 1) {
    const character = value[index]!;
    if (character === '\\' && quoted) {
      current += character + (value[index + 1] ?? '');
      index += 1;
      continue;
    }
    if (character === '"') quoted = !quoted;
    if (character === separator && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += character;
  }
  parts.push(current);
  return parts;
}

/** A `value` is a token or a quoted string; the authserv-id is compared without the quotes. */
function unquote(token: string): string {
  if (token.length >= 2 && token.startsWith('"') && token.endsWith('"')) return token.slice(1, -1).replace(/\\(.)/g, '$1');
  return token;
}
