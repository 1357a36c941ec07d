import { execFile } from 'node:child_process';
import { chown, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './service-process.js';

const run = promisify(execFile);
const POSTFIX = '/usr/sbin/postfix';
/** Debian's layout of the Postfix package (postconf -d). */
const DAEMON_DIRECTORY = '/usr/lib/postfix/sbin';
const STOP_WAIT_MS = 15_000;
/** A --full run leaves 20,000 messages for the discard transport; a loaded box takes its time. */
const DRAIN_WAIT_MS = 10 * 60 * 1000;
const POLL_MS = 200;
/** The queue folders a message sits in until the discard transport has taken it. */
const PENDING_QUEUES = ['maildrop', 'incoming', 'active', 'deferred', 'hold'];

export interface PostfixInstance {
  readonly port: number;
  readonly configDirectory: string;
  /** Waits until the discard transport has emptied the queue (so the next run gets the CPU alone). */
  waitForEmptyQueue(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private Postfix with its real durable queue, the durable reference for SMTP acceptance: its
 * own config, queue and data folders under `dir`, smtpd on a free loopback port, every message
 * discarded after it was queued. Its 250 after DATA means the cleanup daemon fsynced the queue
 * file, the same promise as ours. Never the system's instance: everything is under `dir`, started
 * and stopped with `postfix -c`. Needs root (master runs the daemons as user postfix).
 */
export async function startPostfixInstance(args: { readonly dir: string; readonly recipientDomain: string }): Promise<PostfixInstance> {
  if (userInfo().uid !== 0) throw new Error('the Postfix reference needs root (its master starts daemons as user postfix)');
  const configDirectory = path.join(args.dir, 'etc');
  const queueDirectory = path.join(args.dir, 'queue');
  const dataDirectory = path.join(args.dir, 'data');
  const maillog = path.join(args.dir, 'maillog');
  for (const folder of [configDirectory, queueDirectory, dataDirectory]) await mkdir(folder, { recursive: true });
  const { stdout: ids } = await run('id', ['-u', 'postfix']);
  await chown(dataDirectory, Number(ids.trim()), 0);
  const port = await freePort();
  await writeFile(
    path.join(configDirectory, 'main.cf'),
    mainCf({ queueDirectory, dataDirectory, maillog, recipientDomain: args.recipientDomain, dir: args.dir }),
  );
  await writeFile(path.join(configDirectory, 'master.cf'), masterCf(port));
  const postfix = (command: string): Promise<unknown> => run(POSTFIX, ['-c', configDirectory, command]);
  try {
    // `check` creates the queue folders with their owners (postfix, postdrop) from postfix-files.
    await postfix('check');
    await postfix('start');
  } catch (error) {
    throw new Error(`postfix -c ${configDirectory} would not start: ${(error as Error).message}\n${await readFile(maillog, 'utf8').catch(() => '')}`, {
      cause: error,
    });
  }
  const masterPid = async (): Promise<number | null> => {
    const text = await readFile(path.join(queueDirectory, 'pid', 'master.pid'), 'utf8').catch(() => '');
    const pid = Number(text.trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
  };
  return {
    port,
    configDirectory,
    async waitForEmptyQueue() {
      const deadline = performance.now() + DRAIN_WAIT_MS;
      while (performance.now() < deadline) {
        if ((await countPending(queueDirectory)) === 0) return;
        await sleep(POLL_MS);
      }
      throw new Error(`the Postfix reference's queue did not drain in ${DRAIN_WAIT_MS} ms`);
    },
    async stop() {
      await postfix('stop').catch(() => undefined);
      const deadline = performance.now() + STOP_WAIT_MS;
      while ((await masterPid()) !== null && performance.now() < deadline) await sleep(POLL_MS);
      if ((await masterPid()) !== null) await postfix('abort').catch(() => undefined);
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function countPending(queueDirectory: string): Promise<number> {
  let count = 0;
  for (const queue of PENDING_QUEUES) {
    const entries = await readdir(path.join(queueDirectory, queue), { recursive: true, withFileTypes: true }).catch(() => []);
    count += entries.filter((entry) => entry.isFile()).length;
  }
  return count;
}

/** Loopback only, relay for the bench domain only, everything discarded once queued. */
function mainCf(args: { queueDirectory: string; dataDirectory: string; maillog: string; recipientDomain: string; dir: string }): string {
  return `${[
    'compatibility_level = 3.6',
    `queue_directory = ${args.queueDirectory}`,
    `data_directory = ${args.dataDirectory}`,
    'command_directory = /usr/sbin',
    `daemon_directory = ${DAEMON_DIRECTORY}`,
    'meta_directory = /etc/postfix',
    'shlib_directory = /usr/lib/postfix',
    'mail_owner = postfix',
    'setgid_group = postdrop',
    'myhostname = postfix.bench.example',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'mydestination =',
    'local_recipient_maps =',
    'alias_maps =',
    'alias_database =',
    `relay_domains = ${args.recipientDomain}`,
    'default_transport = discard',
    'relay_transport = discard',
    'local_transport = discard',
    // smtpd refuses to start without one of these; the bench domain is a relay domain, so it passes.
    'smtpd_relay_restrictions = reject_unauth_destination',
    'smtpd_recipient_restrictions = permit',
    'smtpd_peername_lookup = no',
    'biff = no',
    `maillog_file_prefixes = ${args.dir}`,
    `maillog_file = ${args.maillog}`,
  ].join('\n')}\n`;
}

/** Debian's master.cf services that a discarding relay needs, without chroot, smtpd on `port`. */
function masterCf(port: number): string {
  return `${[
    `127.0.0.1:${port} inet n - n - - smtpd`,
    'pickup    unix  n - n 60   1 pickup',
    'cleanup   unix  n - n -    0 cleanup',
    'qmgr      unix  n - n 300  1 qmgr',
    'rewrite   unix  - - n -    - trivial-rewrite',
    'bounce    unix  - - n -    0 bounce',
    'defer     unix  - - n -    0 bounce',
    'trace     unix  - - n -    0 bounce',
    'verify    unix  - - n -    1 verify',
    'flush     unix  n - n 1000? 0 flush',
    'proxymap  unix  - - n -    - proxymap',
    'showq     unix  n - n -    - showq',
    'error     unix  - - n -    - error',
    'retry     unix  - - n -    - error',
    'discard   unix  - - n -    - discard',
    'anvil     unix  - - n -    1 anvil',
    'scache    unix  - - n -    1 scache',
    'postlog   unix-dgram n - n - 1 postlogd',
  ].join('\n')}\n`;
}
