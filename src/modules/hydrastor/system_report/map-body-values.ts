import { normalizeLabel } from '../../shared/text/normalize-label.js';
import { isByteUnit, parseByteSize } from '../../shared/values/parse-byte-size.js';

/** Sizes in the body are GiB unless a label says otherwise. */
const BODY_DEFAULT_SIZE_UNIT = 'GiB';
const LABEL_UNIT = /^(.*?) \(([a-z]+)\)$/;

/**
 * Puts one body value under its CSV column name (found through `table`), converting sizes to
 * bytes; an unknown label keeps its own name, so FieldReader.extra returns it.
 */
export function setBodyValue(args: {
  readonly values: Map<string, string>;
  readonly table: ReadonlyMap<string, string>;
  readonly label: string;
  readonly value: string;
  /** Filled with the line of each value when the record spans lines. */
  readonly lineOfColumn?: Map<string, number>;
  readonly line?: number;
}): void {
  const key = normalizeLabel(args.label);
  let column = args.table.get(key);
  let unit: string | null = null;
  if (column === undefined) {
    const withUnit = LABEL_UNIT.exec(key);
    if (withUnit !== null && isByteUnit(withUnit[2] ?? '')) {
      column = args.table.get(withUnit[1] ?? '');
      unit = withUnit[2] ?? null;
    }
  }
  if (column === undefined) {
    if (!args.values.has(args.label)) args.values.set(args.label, args.value);
    return;
  }
  if (args.values.has(column)) return;
  if (args.lineOfColumn !== undefined && args.line !== undefined) args.lineOfColumn.set(column, args.line);
  if (column.endsWith('_bytes')) {
    // An unreadable size stays as written so that the field reader reports it.
    args.values.set(column, parseByteSize(args.value, unit ?? BODY_DEFAULT_SIZE_UNIT)?.toString() ?? args.value);
  } else {
    args.values.set(column, args.value);
  }
}
