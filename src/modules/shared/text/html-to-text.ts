/**
 * Plain text out of an HTML-only mail, good enough for "Label : value" reading: no scripts, no
 * styles, entities decoded, block elements and line breaks become newlines, table cells become
 * tabs. One linear pass with indexOf (no backtracking regex over the whole document), so a hostile
 * or huge body costs time proportional to its size.
 */

/** Elements whose content is never text a reader sees. */
const SKIPPED_ELEMENTS = new Set(['script', 'style', 'head', 'title', 'template', 'noscript', 'svg', 'object']);
const LINE_BREAK_ELEMENTS = new Set([
  'br',
  'p',
  'div',
  'tr',
  'li',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'pre',
  'blockquote',
  'hr',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'section',
  'article',
  'header',
  'footer',
  'address',
]);
const CELL_ELEMENTS = new Set(['td', 'th']);

const NAMED_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
  ['nbsp', ' '],
  ['ensp', ' '],
  ['emsp', ' '],
  ['thinsp', ' '],
  ['shy', ''],
  ['ndash', '–'],
  ['mdash', '—'],
  ['hellip', '…'],
  ['lsquo', '‘'],
  ['rsquo', '’'],
  ['ldquo', '“'],
  ['rdquo', '”'],
  ['bull', '•'],
  ['middot', '·'],
  ['copy', '©'],
  ['reg', '®'],
  ['trade', '™'],
  ['deg', '°'],
  ['times', '×'],
  ['euro', '€'],
  ['yen', '¥'],
]);

const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,31}));?/g;
const MAX_CODE_POINT = 0x10ffff;

export function decodeHtmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (entity, decimal?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED_ENTITIES.get(name.toLowerCase()) ?? entity;
    const codePoint = decimal !== undefined ? Number.parseInt(decimal, 10) : Number.parseInt(hex ?? '', 16);
    // NUL, surrogates and out-of-range values become U+FFFD: never a NUL into PostgreSQL text.
    if (codePoint === 0 || codePoint > MAX_CODE_POINT || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return '\uFFFD';
    return String.fromCodePoint(codePoint);
  });
}

/** The tag name right after `<` or `</`, lower case ('' for `<!…>`, `<?…>` or a stray `<`). */
function tagNameAt(html: string, start: number): string {
  let end = start;
  while (end < html.length) {
    const code = html.charCodeAt(end);
    const isNameChar = (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 45;
    if (!isNameChar) break;
    end += 1;
  }
  return html.slice(start, end).toLowerCase();
}

/** Index just past the `>` closing the tag that starts at `start`, skipping quoted attribute values. */
function tagEnd(html: string, start: number): number {
  let quote = '';
  for (let index = start; index < html.length; index += 1) {
    const char = html[index];
    if (quote !== '') {
      if (char === quote) quote = '';
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '>') {
      return index + 1;
    }
  }
  return html.length;
}

/** Start of the `</name` that closes a skipped element, or -1. */
function closingTagStart(html: string, name: string, from: number): number {
  let search = from;
  for (;;) {
    const candidate = html.indexOf('</', search);
    if (candidate === -1 || tagNameAt(html, candidate + 2) === name) return candidate;
    search = candidate + 2;
  }
}

export function htmlToText(html: string): string {
  const pieces: string[] = [];
  let preformattedDepth = 0;
  let position = 0;

  const pushText = (raw: string): void => {
    if (raw === '') return;
    pieces.push(preformattedDepth > 0 ? raw : raw.replace(/\s+/g, ' '));
  };

  while (position < html.length) {
    const open = html.indexOf('<', position);
    if (open === -1) {
      pushText(html.slice(position));
      break;
    }
    pushText(html.slice(position, open));

    if (html.startsWith('<!--', open)) {
      const close = html.indexOf('-->', open + 4);
      position = close === -1 ? html.length : close + 3;
      continue;
    }
    const closing = html[open + 1] === '/';
    const name = tagNameAt(html, open + (closing ? 2 : 1));
    if (name === '' && html[open + 1] !== '!' && html[open + 1] !== '?' && !closing) {
      // A lone "<" (as in "a < b") is text.
      pieces.push('<');
      position = open + 1;
      continue;
    }
    const end = tagEnd(html, open + 1);
    position = end;

    if (!closing && SKIPPED_ELEMENTS.has(name) && !html.slice(open, end).endsWith('/>')) {
      const close = closingTagStart(html, name, end);
      position = close === -1 ? html.length : tagEnd(html, close + 2);
      continue;
    }
    if (name === 'pre') preformattedDepth = Math.max(0, preformattedDepth + (closing ? -1 : 1));
    // One break per block boundary (</tr><tr> is one line end); only <br> stacks up blank lines.
    if (name === 'br' || (LINE_BREAK_ELEMENTS.has(name) && !pieces.at(-1)?.endsWith('\n'))) pieces.push('\n');
    else if (CELL_ELEMENTS.has(name) && closing) pieces.push('\t');
  }

  return decodeHtmlEntities(pieces.join(''))
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
