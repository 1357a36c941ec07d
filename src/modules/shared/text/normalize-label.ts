/**
 * The comparable form of a label or column heading: case, runs of whitespace and spaces around
 * `/` and parentheses do not matter (`Date / Time` = `date/time`, `Physical Capacity Used  (GiB)` =
 * `physical capacity used (gib)`, `Disks(OK/Total)` = `disks (ok/total)`).
 */
export function normalizeLabel(label: string): string {
  return label
    .replace(/\s*\/\s*/g, '/')
    .replace(/\s*\(\s*/g, ' (')
    .replace(/\s*\)/g, ')')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** Builds a lookup from normalised label to field name out of a readable `field → labels` table. */
export function labelTable<Field extends string>(labelsByField: Readonly<Record<Field, readonly string[]>>): ReadonlyMap<string, Field> {
  const table = new Map<string, Field>();
  for (const field of Object.keys(labelsByField) as Field[]) {
    for (const label of labelsByField[field]) table.set(normalizeLabel(label), field);
  }
  return table;
}
