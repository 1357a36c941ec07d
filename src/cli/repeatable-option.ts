/**
 * Commander's argument parser for an option that may be given several times (`--address A
 * --address B`): the values in order. Undefined until given, so "not given" and "given" differ
 * (for `customer update`, a list given replaces the stored one; one not given keeps it).
 */
export function repeatable(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
