import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { repoRoot, sourceFiles } from './source-files.js';

// No import cycle in src/: the tree must read one way. The graph has one edge per static
// `import … from`, `export … from` and `import '…'` with a relative specifier:
// - type-only imports (`import type`, `export type … from`) are IN. They are erased, so a cycle made
//   of them cannot break at load time; but it still ties its files into one unit that can neither
//   be read, moved nor tested apart, and it is where a load-time cycle starts (one `type` dropped).
// - `import()` is left out: it runs later, on demand (cli.ts starts main.ts that way).
// A cycle is reported as its shortest closed path, plus the files of its strongly connected component.

// TEMPORARY allow-list: known cycles, as the set of files they run through. A cycle whose files are
// all in one entry passes. Delete the entry once the branch removing the cycle has merged.
const temporarilyAllowed: ReadonlyArray<ReadonlySet<string>> = [];

function relativeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(repoRoot, file), 'utf8'), ts.ScriptTarget.Latest);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text);
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text);
  }
  return specifiers
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts'));
}

/** Tarjan's strongly connected components with more than one file, or one file importing itself. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)!.includes(file)) found.push(component);
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

/** One closed path through a component, for a readable message: a → b → c → a. */
function describeCycle(component: readonly string[], graph: ReadonlyMap<string, readonly string[]>): string {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  // Breadth-first from start back to start inside the component: the shortest cycle through it.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of graph.get(file)!) {
      if (!members.has(next) || previous.has(next)) continue;
      previous.set(next, file);
      if (next === start) queue.length = 0;
      else queue.push(next);
    }
  }
  const path = [start];
  for (let file = previous.get(start)!; file !== start; file = previous.get(file)!) path.unshift(file);
  path.unshift(start);
  const rest = component.length > path.length - 1 ? ` (component of ${component.length} files: ${[...component].sort().join(', ')})` : '';
  return path.join(' → ') + rest;
}

describe('import cycles (src/)', () => {
  it('no file reaches itself through its imports', () => {
    const graph = new Map(sourceFiles().map((file) => [file, relativeImports(file)]));
    const unexpected = cycles(graph).filter((component) => !temporarilyAllowed.some((allowed) => component.every((file) => allowed.has(file))));
    assert.deepEqual(
      unexpected.map((component) => describeCycle(component, graph)),
      [],
    );
  });
});
