import { readFileSync } from 'node:fs';

const KIB_PER_MIB = 1024;

/**
 * A field of /proc/<pid>/status in MiB (VmHWM = peak resident set, VmRSS = current), or null
 * once the process is gone or on a system without /proc.
 */
export function procStatusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match?.[1] === undefined ? null : Math.round(Number(match[1]) / KIB_PER_MIB);
}
