import { normalizeLabel } from './normalize-label.js';
import { toNumberedLines, type NumberedLine } from './numbered-line.js';

export interface LabelledLine {
  /** The label as written, whitespace collapsed (kept for `extra`). */
  readonly label: string;
  /** The label in comparable form (see normalizeLabel). */
  readonly key: string;
  readonly value: string;
  /** 1-based line number of the label in the text it was read from. */
  readonly line: number;
}

/**
 * `Label : value`, or `Label<TAB>value` (what an HTML table becomes), possibly quoted (`> `) in a
 * reply. The label starts with a letter, holds no colon and is short, so prose and table rows are
 * not mistaken for labels; a colon right after a digit is a time (`11:52`), never a separator.
 */
const LABEL_LINE = /^\s*(?:>\s*)*([A-Za-z][\w ()%/.,&#+-]{0,47}?)(?:\s*(?<!\d):|\t)\s*(.*)$/;

/** A value that wraps onto indented lines continues until a blank line or the next label. */
const CONTINUATION_LINE = /^[ \t]+\S/;

/** Reads every `Label : value` line of a text; other lines are skipped. */
export function readLabelledLines(text: string | readonly NumberedLine[]): LabelledLine[] {
  const lines = typeof text === 'string' ? toNumberedLines(text) : text;
  const labelled: LabelledLine[] = [];
  let previous: { label: string; key: string; value: string; line: number } | null = null;
  for (const { text: line, line: lineNumber } of lines) {
    const match = LABEL_LINE.exec(line);
    if (match !== null) {
      const label = (match[1] ?? '').replace(/\s+/g, ' ').trim();
      previous = { label, key: normalizeLabel(label), value: (match[2] ?? '').trim(), line: lineNumber };
      labelled.push(previous);
    } else if (previous !== null && CONTINUATION_LINE.test(line)) {
      previous.value = previous.value === '' ? line.trim() : `${previous.value} ${line.trim()}`;
    } else {
      previous = null;
    }
  }
  return labelled;
}

export interface MappedLabels<Field extends string> {
  /** The first line seen for each known field. */
  readonly fields: Partial<Record<Field, LabelledLine>>;
  /** Unknown labels, as written, with their values: kept, never dropped. */
  readonly extra: Record<string, string>;
  /** How many lines matched a known label (used to tell a real body from an unrelated text). */
  readonly knownCount: number;
}

/** Sorts labelled lines into known fields (table-driven) and extras. */
export function mapLabelledLines<Field extends string>(args: {
  readonly lines: readonly LabelledLine[];
  readonly table: ReadonlyMap<string, Field>;
}): MappedLabels<Field> {
  const fields: Partial<Record<Field, LabelledLine>> = {};
  // A Map, not an object, while collecting: a label such as `constructor` must not meet Object.prototype.
  const extra = new Map<string, string>();
  let knownCount = 0;
  for (const line of args.lines) {
    const field = args.table.get(line.key);
    if (field !== undefined) {
      knownCount += 1;
      if (fields[field] === undefined) fields[field] = line;
    } else {
      const existing = extra.get(line.label);
      extra.set(line.label, existing === undefined ? line.value : `${existing}\n${line.value}`);
    }
  }
  return { fields, extra: Object.fromEntries(extra), knownCount };
}
