import type { FieldSource } from '../../shared/text/field-source.js';
import { htmlToText } from '../../shared/text/html-to-text.js';
import { normalizeLabel } from '../../shared/text/normalize-label.js';
import { toNumberedLines, type NumberedLine } from '../../shared/text/numbered-line.js';
import { parseAlignedTable } from '../../shared/text/parse-aligned-table.js';
import type { ParseIssue } from '../../parse-issue.js';
import { readLabelledLines } from '../../shared/text/read-labelled-lines.js';
import { splitSections, type TextSection } from '../../shared/text/split-sections.js';
import { assembleSystemReport } from './assemble-system-report.js';
import { setBodyValue } from './map-body-values.js';
import {
  ACTIVE_ALERT_HEADINGS,
  BODY_SECTIONS,
  CAPACITY_LABELS,
  DISKS_OK_TOTAL_HEADINGS,
  FILESYSTEM_HEADINGS,
  NODE_HEADINGS,
  REPLICATION_HEADINGS,
  REQUIRED_BODY_SECTIONS,
  SYSTEM_LABELS,
} from './system-report-body-labels.js';
import type { SystemReport } from './system-report-types.js';

const BODY = 'body';

/** `2023-01-12 18:00:00 +0900  WARNING  HS-E10431  SN002  Disk failure detected, rebuild started` */
const ACTIVE_ALERT_ROW = /^\s*(\d{4}[-/]\d{2}[-/]\d{2}[ T]\d{2}:\d{2}(?::\d{2})?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/;
/** Tested on trimmed lines: leading and trailing whitespace never reach the regex. */
const NO_ALERTS = /^\(?\s*(?:none|no active alerts?\.?|-+)\s*\)?$/i;
const DISKS_OK_TOTAL = /^(\d+)\s*\/\s*(\d+)$/;

function labelledRecord(lines: readonly NumberedLine[], table: ReadonlyMap<string, string>): FieldSource {
  const values = new Map<string, string>();
  const lineOfColumn = new Map<string, number>();
  const labelled = readLabelledLines(lines);
  for (const { label, value, line } of labelled) setBodyValue({ values, table, label, value, lineOfColumn, line });
  return { file: BODY, line: labelled[0]?.line ?? null, values, lineOfColumn };
}

function tableRecords(lines: readonly NumberedLine[], table: ReadonlyMap<string, string>): FieldSource[] {
  return parseAlignedTable(lines).rows.map((row) => {
    const values = new Map<string, string>();
    for (const [heading, value] of row.cells) {
      const disks = DISKS_OK_TOTAL_HEADINGS.has(normalizeLabel(heading)) ? DISKS_OK_TOTAL.exec(value) : null;
      if (disks !== null) {
        values.set('disks_ok', disks[1] ?? '');
        values.set('disks_total', disks[2] ?? '');
      } else {
        setBodyValue({ values, table, label: heading, value });
      }
    }
    return { file: BODY, line: row.line, values };
  });
}

/** The section lists alerts one per line without a heading row, or as an aligned table with one. */
function activeAlertRecords(lines: readonly NumberedLine[], issues: ParseIssue[]): FieldSource[] {
  const content = lines.filter((line) => {
    const trimmed = line.text.trim();
    return trimmed !== '' && !NO_ALERTS.test(trimmed);
  });
  const [first] = content;
  if (first === undefined) return [];
  if (!ACTIVE_ALERT_ROW.test(first.text)) return tableRecords(content, ACTIVE_ALERT_HEADINGS);
  const records: FieldSource[] = [];
  for (const line of content) {
    const match = ACTIVE_ALERT_ROW.exec(line.text);
    if (match === null) {
      issues.push({ file: BODY, line: line.line, message: 'unreadable active alert line; skipped' });
      continue;
    }
    const [, occurredAt = '', severity = '', eventId = '', node = '', message = ''] = match;
    const values = new Map([
      ['occurred_at', occurredAt],
      ['severity', severity],
      ['event_id', eventId],
      ['node_name', node],
      ['message', message.trim()],
    ]);
    records.push({ file: BODY, line: line.line, values });
  }
  return records;
}

/**
 * Reads a report from the mail body (when there is no attachment): the header block, then
 * `[Capacity]` (GiB), `[Nodes]`, `[Replication]`, `[Active Alerts]` and, if present,
 * `[File Systems]`. Without a readable system name, serial and report time it throws
 * HYDRASTOR_REPORT_INCOMPLETE; anything else unreadable is an issue.
 */
export function parseSystemReportBody(args: {
  readonly text?: string | undefined;
  /** Used when the mail has no text part. */
  readonly html?: string | false | undefined;
  /** The grid's known IANA zone, for times without an offset. */
  readonly timezone?: string | null | undefined;
}): SystemReport {
  const hasText = args.text !== undefined && args.text.trim() !== '';
  const text = hasText ? (args.text ?? '') : typeof args.html === 'string' ? htmlToText(args.html) : '';
  const issues: ParseIssue[] = [];
  const ignored: string[] = [];
  const [header, ...sections] = splitSections(toNumberedLines(text));

  const sectionByPart = new Map<string, TextSection>();
  for (const section of sections) {
    const part = BODY_SECTIONS.get(section.key);
    if (part === undefined || sectionByPart.has(part)) ignored.push(`[${section.heading}]`);
    else sectionByPart.set(part, section);
  }
  for (const [part, heading] of REQUIRED_BODY_SECTIONS) {
    if (!sectionByPart.has(part)) issues.push({ file: BODY, line: null, message: `section [${heading}] missing` });
  }
  const linesOf = (part: string): readonly NumberedLine[] => sectionByPart.get(part)?.lines ?? [];

  const capacity = labelledRecord(linesOf('capacity'), CAPACITY_LABELS);
  return assembleSystemReport({
    source: 'body',
    records: {
      system: labelledRecord(header?.lines ?? [], SYSTEM_LABELS),
      capacity: capacity.values.size === 0 ? [] : [capacity],
      nodes: tableRecords(linesOf('nodes'), NODE_HEADINGS),
      filesystems: tableRecords(linesOf('filesystems'), FILESYSTEM_HEADINGS),
      replication: tableRecords(linesOf('replication'), REPLICATION_HEADINGS),
      activeAlerts: activeAlertRecords(linesOf('activeAlerts'), issues),
    },
    timezone: args.timezone ?? null,
    ignored,
    issues,
  });
}
