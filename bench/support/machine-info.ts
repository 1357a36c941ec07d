import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem, tmpdir } from 'node:os';
import { withAdmin } from './scratch-database.js';

function run(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** The box a run happened on, as the benchmark plan's report template asks (one line per fact). */
export async function describeMachine(serverUrl: string): Promise<string[]> {
  const pg = await withAdmin(serverUrl, async (client) => (await client.query<{ version: string }>('SELECT version()')).rows[0]?.version ?? 'unknown').catch(
    () => 'unreachable',
  );
  const rootDevice = run('findmnt', ['-n', '-o', 'SOURCE,FSTYPE,OPTIONS', '--target', tmpdir()]);
  return [
    `cpu: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length} (${run('lscpu', []).match(/Hypervisor vendor:\s+(.+)/)?.[1] ?? 'bare metal'} VM)`,
    `memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `disk (${tmpdir()}): ${rootDevice}; ${run('lsblk', ['-d', '-n', '-o', 'NAME,SIZE,ROTA']).split('\n').join(', ')}`,
    `kernel: ${release()}`,
    `node: ${process.version}`,
    `postgresql: ${pg.split(' on ')[0] ?? pg}`,
    `postfix tools: ${run('/usr/sbin/postconf', ['-d', 'mail_version']).replace('mail_version = ', '')}`,
  ];
}
