import path from 'node:path';
import { IngestError } from '../../../core/ingest-error.js';
import { parseResult } from '../../parse-result.js';
import type { ModuleContext, ParseResult } from '../../types.js';
import { findMailParts } from '../../shared/mail/find-mail-parts.js';
import { readMailBody } from '../../shared/mail/read-mail-body.js';
import { refuseUndecodedText } from '../common/refuse-undecoded-text.js';
import { findReportAttachment } from './find-report-attachment.js';
import { parseSystemReportBody } from './parse-system-report-body.js';
import { parseSystemReportFiles } from './parse-system-report-files.js';
import { readReportArchive } from './read-report-archive.js';
import type { SystemReport } from './system-report-types.js';

/** What a report was read from, kept so it can be read again once the grid's time zone is known. */
export type SystemReportInput =
  | { readonly kind: 'attachment'; readonly attachmentName: string; readonly files: ReadonlyMap<string, string> }
  | { readonly kind: 'body'; readonly text: string | undefined; readonly html: string | undefined };

export interface ParsedSystemReport {
  readonly input: SystemReportInput;
  /** Read without a known grid zone: times without an offset were taken as UTC (and said so). */
  readonly report: SystemReport;
}

/** Reads (or re-reads) the report; `timezone` is the grid's known zone for times without an offset. */
export function readSystemReport(input: SystemReportInput, timezone: string | null): SystemReport {
  return input.kind === 'attachment'
    ? parseSystemReportFiles({ files: input.files, timezone })
    : parseSystemReportBody({ text: input.text, html: input.html, timezone });
}

/**
 * The module's parse step: the archive attachment when there is one (it is the machine-readable
 * source and wins), else the body text (or the HTML body's text). An attachment that is not a
 * readable archive fails the job; it does not quietly fall back to the body. A mail forwarded as
 * an attachment is read from the forwarded message (see findMailParts). A value that its charset
 * could not decode fails the job (see refuseUndecodedText).
 */
export async function loadSystemReport(context: ModuleContext): Promise<ParseResult<ParsedSystemReport>> {
  const parts = findMailParts(context.files);
  const attachment = findReportAttachment(parts.attachments);
  let input: SystemReportInput;
  if (attachment !== undefined) {
    const attachmentName = attachment.originalName ?? attachment.name;
    const files = await readReportArchive({
      readArchiveEntries: context.readArchiveEntries,
      archivePath: path.join(context.workDir, path.basename(attachment.name)),
      displayName: attachmentName,
      signal: context.signal,
    });
    input = { kind: 'attachment', attachmentName, files };
  } else {
    const body = await readMailBody({ dir: context.workDir, files: context.files });
    if ((body.text ?? '').trim() === '' && (body.html ?? '').trim() === '') {
      throw new IngestError('HYDRASTOR_REPORT_NO_CONTENT', 'The system report mail has neither a report attachment (.tar.gz, .tgz, .zip) nor a body', {
        details: { files: context.files.map((file) => ({ name: file.name, role: file.role ?? null, originalName: file.originalName ?? null })) },
      });
    }
    input = { kind: 'body', text: body.text, html: body.html };
  }
  context.logger.info('system report read', {
    source: input.kind,
    ...(input.kind === 'attachment' ? { attachment: input.attachmentName, entries: [...input.files.keys()] } : {}),
    ...(parts.forwarded > 0 ? { forwarded: parts.forwarded } : {}),
  });
  const report = readSystemReport(input, null);
  refuseUndecodedText({
    record: report,
    source:
      input.kind === 'attachment'
        ? `System report attachment ${JSON.stringify(input.attachmentName)} (its CSV files must be UTF-8)`
        : 'the system report mail body',
  });
  return parseResult({ input, report }, report.issues);
}
