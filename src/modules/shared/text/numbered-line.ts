export interface NumberedLine {
  readonly text: string;
  /** 1-based line number in the text the line came from. */
  readonly line: number;
}

export function toNumberedLines(text: string): NumberedLine[] {
  return text.split(/\r\n|\r|\n/).map((lineText, index) => ({ text: lineText, line: index + 1 }));
}
