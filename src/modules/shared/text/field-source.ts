/** One record keyed by canonical column name (CSV header, or a body label mapped to it). */
export interface FieldSource {
  readonly file: string;
  readonly line: number | null;
  readonly values: ReadonlyMap<string, string>;
  /** Where a value came from when the record spans lines ("Label : value" blocks). */
  readonly lineOfColumn?: ReadonlyMap<string, number>;
}
