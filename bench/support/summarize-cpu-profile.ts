// Where the time goes in a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by
// package, and inclusive time of the functions that matter, as plain text for docs/benchmarks.md.
//
//   npx tsx bench/support/summarize-cpu-profile.ts <file.cpuprofile> [--top 25]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isMain } from './bench-context.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** A package name (`smtp-server`), `src/…` for ours, `node:…` for built-ins, or `(program)`/`(idle)`/`(gc)`. */
function owner(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules?.[1] !== undefined) return inModules[1];
  if (url.startsWith('node:')) return url;
  const ours = /\/(src|bench|test)\/(.+)$/.exec(url);
  return ours === null ? url : `${ours[1]}/${ours[2]}`;
}

export function summarizeCpuProfile(profile: CpuProfile, top: number): string {
  const selfUs = new Map<number, number>();
  profile.samples.forEach((nodeId, index) => selfUs.set(nodeId, (selfUs.get(nodeId) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totalUs = profile.endTime - profile.startTime;
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const who = owner(frame.url, frame.functionName);
    const name = `${frame.functionName || '(anonymous)'} ${who}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byOwner.set(who, (byOwner.get(who) ?? 0) + us);
  }
  const busyUs = totalUs - (byOwner.get('(idle)') ?? 0);
  const line = (label: string, us: number): string => `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / busyUs).toFixed(1).padStart(5)} %  ${label}`;
  const sorted = (map: Map<string, number>): Array<[string, number]> =>
    [...map]
      .filter(([label]) => !label.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top);
  return [
    `profile: ${(totalUs / 1e6).toFixed(1)} s, busy (not idle) ${(busyUs / 1e6).toFixed(1)} s; percentages are of busy time`,
    '',
    'self time by package / file:',
    ...sorted(byOwner).map(([label, us]) => line(label, us)),
    '',
    'self time by function:',
    ...sorted(byFunction).map(([label, us]) => line(label, us)),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  for (const file of positionals) {
    console.log(`== ${file}`);
    console.log(summarizeCpuProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, Number(values.top)));
  }
}
