import type { NumberedLine } from './numbered-line.js';
import { normalizeLabel } from './normalize-label.js';

export interface TextSection {
  /** The heading as written (`Active Alerts`), or '' for the lines before the first heading. */
  readonly heading: string;
  /** The heading in comparable form (see normalizeLabel). */
  readonly key: string;
  readonly lines: readonly NumberedLine[];
}

const SECTION_HEADING = /^\s*\[([^\]]{1,60})\]\s*$/;

/** Splits a report body at `[Section]` heading lines. */
export function splitSections(lines: readonly NumberedLine[]): TextSection[] {
  const sections: TextSection[] = [];
  let current: { heading: string; key: string; lines: NumberedLine[] } = { heading: '', key: '', lines: [] };
  for (const line of lines) {
    const heading = SECTION_HEADING.exec(line.text);
    if (heading === null) {
      current.lines.push(line);
      continue;
    }
    sections.push(current);
    const name = (heading[1] ?? '').trim();
    current = { heading: name, key: normalizeLabel(name), lines: [] };
  }
  sections.push(current);
  return sections;
}
