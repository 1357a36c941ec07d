import { readFile } from 'node:fs/promises';

const KEPT = 12;

/**
 * The service's error-level log lines (JSON lines on its stdout, across every restart), counted
 * by message: the first place to look when a check fails, and how a fault the ledger survived
 * (a lock lost, a drain that gave up) still shows.
 */
export async function summarizeServiceErrors(outputFile: string): Promise<Array<{ readonly message: string; readonly count: number }>> {
  let text: string;
  try {
    text = await readFile(outputFile, 'utf8');
  } catch {
    return [];
  }
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"level":"error"')) continue;
    try {
      const entry = JSON.parse(line) as { level?: string; message?: string; component?: string };
      if (entry.level !== 'error') continue;
      const key = `${entry.component ?? '?'}: ${entry.message ?? '?'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // A line cut by a kill.
    }
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, KEPT)
    .map(([message, count]) => ({ message, count }));
}
