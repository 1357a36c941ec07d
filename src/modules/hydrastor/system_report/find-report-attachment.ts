import type { StagedFile } from '../../../core/staged-file.js';
import { stagedMediaType } from '../../shared/mail/find-mail-parts.js';

const ARCHIVE_NAME = /\.(?:tar\.gz|tgz|zip)$/i;
/** What mail clients and HYDRAstor label a .tar.gz/.tgz/.zip with (the archive reader checks the bytes anyway). */
const ARCHIVE_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/gzip',
  'application/x-gzip',
  'application/x-gtar',
  'application/x-tgz',
  'application/x-tar-gz',
  'application/x-compressed-tar',
  'application/zip',
  'application/x-zip',
  'application/x-zip-compressed',
]);

/**
 * The attachment that holds the report's CSV files: the first one named like an archive, else
 * the first one typed like one. Other attachments (logos, signatures) are not the report.
 */
export function findReportAttachment(attachments: readonly StagedFile[]): StagedFile | undefined {
  return attachments.find((file) => ARCHIVE_NAME.test(file.originalName ?? '')) ?? attachments.find((file) => ARCHIVE_MEDIA_TYPES.has(stagedMediaType(file)));
}
