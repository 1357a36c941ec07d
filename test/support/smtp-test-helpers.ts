import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { TestService } from './start-test-service.js';

export const INGEST_DOMAIN = 'ingest.hview.example';
export const EMAIL_FIXTURES = new URL('../fixtures/email/', import.meta.url);

/** A fixture as sent on the wire: CRLF line ends, ending with CRLF. */
export async function fixtureMessage(name: string): Promise<Buffer> {
  return Buffer.from(toWire(await readFile(new URL(name, EMAIL_FIXTURES), 'utf8')));
}

export function toWire(text: string): string {
  const crlf = text.replace(/\r?\n/g, '\r\n');
  return crlf.endsWith('\r\n') ? crlf : `${crlf}\r\n`;
}

export interface SendResult {
  readonly code: number;
  readonly response: string;
  readonly jobIds: readonly string[];
  readonly rejected: readonly string[];
}

/** Sends raw bytes with a real SMTP client (nodemailer); a refusal resolves with its code too. */
export async function sendWithNodemailer(args: {
  readonly port: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: Buffer | string;
}): Promise<SendResult> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: args.port, secure: false, ignoreTLS: true } satisfies SMTPTransport.Options);
  try {
    const info = await transport.sendMail({ envelope: { from: args.from, to: [...args.to] }, raw: args.raw });
    return { code: Number(info.response.slice(0, 3)), response: info.response, jobIds: jobIdsIn(info.response), rejected: info.rejected.map(String) };
  } catch (error) {
    const failure = error as { responseCode?: number; response?: string; rejected?: unknown[] };
    return { code: failure.responseCode ?? 0, response: failure.response ?? String(error), jobIds: [], rejected: (failure.rejected ?? []).map(String) };
  } finally {
    transport.close();
  }
}

export function jobIdsIn(reply: string): string[] {
  return [...reply.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].map((match) => match[0]);
}

export async function jobCount(t: TestService): Promise<number> {
  const result = await sql<{ count: string }>`SELECT count(*) FROM jobs`.execute(t.service.database.db);
  return Number(result.rows[0]?.count);
}

export async function incomingLeftovers(t: TestService): Promise<string[]> {
  return readdir(path.join(t.dataRoot, 'inbox', '.incoming')).catch(() => []);
}

export interface ManifestFile {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly originalName?: string;
  readonly contentType?: string;
  readonly role?: string;
}

export interface Manifest {
  readonly files: readonly ManifestFile[];
  readonly hints: Readonly<Record<string, string>>;
  readonly sourceRef: Readonly<Record<string, unknown>>;
  readonly customer: string;
}

export async function readManifest(folder: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as Manifest;
}
