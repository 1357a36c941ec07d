import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { IngestError } from '../core/ingest-error.js';

/** Must match startEmbeddedPostgres: the database it creates and the password file it keeps. */
const EMBEDDED_DATABASE_NAME = 'dataprocessor';
const PASSWORD_FILE = 'pg-password';

/**
 * The URL of the embedded PostgreSQL that a running `dataprocessor serve` started under
 * `<dataRoot>/pg`, for short-lived commands that must use it rather than start a second server
 * on the same folder. Fails transiently (`EMBEDDED_DATABASE_UNAVAILABLE`) when the server was
 * never initialised or its password file cannot be read (another user, wrong data root).
 */
export async function embeddedDatabaseUrl(args: { readonly dataRoot: string; readonly port: number }): Promise<string> {
  const passwordFile = path.join(args.dataRoot, PASSWORD_FILE);
  let password: string;
  try {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } catch (error) {
    throw new IngestError(
      'EMBEDDED_DATABASE_UNAVAILABLE',
      `no DATABASE_URL and the embedded database's ${passwordFile} cannot be read (${(error as { code?: string }).code ?? 'error'}): start "dataprocessor serve" with this data root first, or run as its user`,
      {
        cause: error,
      },
    );
  }
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${args.port}/${EMBEDDED_DATABASE_NAME}`;
}
