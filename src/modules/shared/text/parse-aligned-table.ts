import type { NumberedLine } from './numbered-line.js';

export interface AlignedTableRow {
  readonly line: number;
  /** Cells by column heading as written in the header line. */
  readonly cells: ReadonlyMap<string, string>;
}

export interface AlignedTable {
  readonly headings: readonly string[];
  readonly rows: readonly AlignedTableRow[];
}

interface Token {
  readonly text: string;
  readonly start: number;
}

/** Two or more spaces (or a tab) separate columns; single spaces belong to a value (`SW Version`). */
const CELL = /\S+(?: \S+)*/g;
const RULE_LINE = /^[\s\-=+|]+$/;
const TAB_WIDTH = '  ';

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.replaceAll('\t', TAB_WIDTH).matchAll(CELL)) {
    tokens.push({ text: match[0], start: match.index });
  }
  return tokens;
}

/**
 * Reads a whitespace-aligned table: the first non-blank line holds the headings. A row with one
 * value per heading maps in order (tolerates values wider than their column); any other row maps
 * each value to the column its first character falls under (tolerates empty cells).
 */
export function parseAlignedTable(lines: readonly NumberedLine[]): AlignedTable {
  const content = lines.filter((line) => line.text.trim() !== '' && !RULE_LINE.test(line.text));
  const [headerLine, ...rowLines] = content;
  if (headerLine === undefined) return { headings: [], rows: [] };
  const headings = tokenize(headerLine.text);

  const rows = rowLines.map((rowLine): AlignedTableRow => {
    const tokens = tokenize(rowLine.text);
    const cells = new Map<string, string>();
    if (tokens.length === headings.length) {
      tokens.forEach((token, index) => cells.set(headings[index]?.text ?? '', token.text));
      return { line: rowLine.line, cells };
    }
    for (const token of tokens) {
      let column = 0;
      while (column + 1 < headings.length && (headings[column + 1]?.start ?? Infinity) <= token.start) column += 1;
      const heading = headings[column]?.text ?? '';
      const existing = cells.get(heading);
      cells.set(heading, existing === undefined ? token.text : `${existing} ${token.text}`);
    }
    return { line: rowLine.line, cells };
  });
  return { headings: headings.map((heading) => heading.text), rows };
}
