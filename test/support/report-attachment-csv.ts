import { readFixtureMail, readReportFiles } from '../modules/hydrastor/support/mail-fixtures.js';

/**
 * One CSV file of a report fixture's attachment (`.tar.gz` or `.zip`), as records keyed by the
 * header row. Read here independently of the module's own parser, so the expected values of an
 * end-to-end test come from the attachment itself.
 */
export async function attachmentCsv(fixture: string, file: string): Promise<Array<Record<string, string>>> {
  const files = await readReportFiles(await readFixtureMail(fixture));
  const text = files.get(file);
  if (text === undefined) throw new Error(`${fixture}'s attachment has no ${file} (has ${[...files.keys()].join(', ')})`);
  const [header, ...rows] = text
    .split(/\r?\n/)
    .filter((line) => line !== '')
    .map(splitCsvLine);
  if (header === undefined) throw new Error(`${fixture}: ${file} is empty`);
  return rows.map((row) => Object.fromEntries(header.map((name, index) => [name, row[index] ?? ''])));
}

/** RFC 4180 fields of one line: quoted fields may hold commas and doubled quotes. */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
    } else {
      field += char;
    }
  }
  fields.push(field);
  return fields;
}
