import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Every command of docs/*.md, with how it is run (issue #15). */
export const INVENTORY = 'docs/commands-tested.md';

export interface DocCommand {
  readonly doc: string;
  readonly command: string;
}

/**
 * Every command of the `sh` blocks of docs/*.md: `\` line ends joined, comment lines and trailing
 * comments dropped, a here-document kept with the command that opens it.
 */
export async function docCommands(): Promise<DocCommand[]> {
  const commands: DocCommand[] = [];
  for (const name of (await readdir(path.join(REPO_ROOT, 'docs'))).filter((file) => file.endsWith('.md')).sort()) {
    const doc = `docs/${name}`;
    const text = await readFile(path.join(REPO_ROOT, doc), 'utf8');
    for (const [, block] of text.matchAll(/^ *```(?:sh|bash|shell)\n([\s\S]*?)^ *```/gm))
      commands.push(...blockCommands(block!).map((command) => ({ doc, command })));
  }
  return commands;
}

export function blockCommands(block: string): string[] {
  const lines = block.replace(/\\\n\s*/g, '').split('\n');
  const commands: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    let command = (lines[index] ?? '').trim();
    if (command === '' || command.startsWith('#')) continue;
    const heredoc = /<<'?(\w+)'?/.exec(command)?.[1];
    if (heredoc !== undefined) {
      while (index + 1 < lines.length && (lines[index] ?? '').trim() !== heredoc) command += `\n${lines[(index += 1)]}`;
      if ((lines[index + 1] ?? '').trim().startsWith(')')) command += `\n${lines[(index += 1)]}`;
    }
    commands.push(command.replace(/\s+#.*$/, '').trim());
  }
  return commands;
}

export interface InventoryRow {
  readonly doc: string;
  /** The command as written, or its beginning followed by ` …` (then it covers every command that starts so). */
  readonly pattern: string;
  readonly how: string;
}

/** The rows of the inventory's tables: | `docs/x.md` | `command` | how |. */
export async function inventory(): Promise<InventoryRow[]> {
  const text = await readFile(path.join(REPO_ROOT, INVENTORY), 'utf8');
  return [...text.matchAll(/^\| `(docs\/[^`]+)` \| `(.+?)` \| (.+) \|$/gm)].map(([, doc, pattern, how]) => ({
    doc: doc!,
    pattern: pattern!.replaceAll('\\|', '|'),
    how: how!,
  }));
}

export function covers(row: InventoryRow, command: DocCommand): boolean {
  if (row.doc !== command.doc) return false;
  const firstLine = command.command.split('\n')[0]!;
  return row.pattern === '…' || row.pattern === firstLine || (row.pattern.endsWith(' …') && firstLine.startsWith(row.pattern.slice(0, -2)));
}

/** The commands of docs/*.md whose inventory row says they are run by `test` (a repository path). */
export async function commandsRunBy(test: string): Promise<DocCommand[]> {
  const rows = await inventory();
  return (await docCommands()).filter((command) => rows.find((row) => covers(row, command))?.how.startsWith(`run by \`${test}\``));
}

export function shell(command: string, options: { cwd: string; env: Record<string, string> }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
