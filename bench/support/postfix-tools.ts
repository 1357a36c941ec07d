import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './service-process.js';

/** The Postfix test tools ship in /usr/sbin, which is not on every PATH. */
const SMTP_SINK = '/usr/sbin/smtp-sink';
const SMTP_SOURCE = '/usr/sbin/smtp-source';
/** smtp-sink's listen backlog, as in the benchmark plan. */
const SINK_BACKLOG = 256;
const SINK_START_MS = 300;
/** A stuck run (a server that stopped answering) fails the benchmark instead of hanging it. */
const SOURCE_TIMEOUT_MS = 15 * 60 * 1000;

export interface SmtpSourceArgs {
  readonly port: number;
  readonly sessions: number;
  readonly messageBytes: number;
  readonly messages: number;
  /** `-d`: keep each session open for many messages; without it one connection per message. */
  readonly reuseConnections: boolean;
  readonly from: string;
  readonly to: string;
}

export interface SmtpSourceResult {
  readonly seconds: number;
  readonly messagesPerSecond: number;
  readonly command: string;
  /** smtp-source's complaints (rejections, dropped connections); empty on a clean run. */
  readonly stderr: string;
}

/** The exact smtp-source command line of a run (printed in the report). */
export function smtpSourceArgs(args: SmtpSourceArgs): string[] {
  return [
    ...(args.reuseConnections ? ['-d'] : []),
    '-s',
    String(args.sessions),
    '-l',
    String(args.messageBytes),
    '-m',
    String(args.messages),
    '-f',
    args.from,
    '-t',
    args.to,
    `127.0.0.1:${args.port}`,
  ];
}

/** Runs smtp-source to completion and times it with the monotonic clock. */
export async function runSmtpSource(args: SmtpSourceArgs): Promise<SmtpSourceResult> {
  const argv = smtpSourceArgs(args);
  const started = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(SMTP_SOURCE, argv, { stdio: ['ignore', 'ignore', 'pipe'], timeout: SOURCE_TIMEOUT_MS });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve({ code: exitCode, stderr: signal === null ? errors : `${errors}killed by ${signal} (timeout)` }));
  });
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`smtp-source ${argv.join(' ')} exited with ${code}: ${stderr.slice(0, 2000)}`);
  return { seconds, messagesPerSecond: args.messages / seconds, command: `smtp-source ${argv.join(' ')}`, stderr };
}

export interface SmtpSink {
  readonly port: number;
  readonly pid: number;
  readonly command: string;
  stop(): Promise<void>;
}

/** Postfix's protocol-only SMTP server: accepts and discards every message. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const port = await freePort();
  const argv = ['-u', 'nobody', `127.0.0.1:${port}`, String(SINK_BACKLOG)];
  const child: ChildProcess = spawn(SMTP_SINK, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
  await sleep(SINK_START_MS);
  if (child.exitCode !== null || child.pid === undefined) throw new Error(`smtp-sink exited with ${child.exitCode}`);
  return {
    port,
    pid: child.pid,
    command: `smtp-sink ${argv.join(' ')}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
