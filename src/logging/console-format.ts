import winston from 'winston';

/** `json`: the same lines as the files (for log collectors); `text`: one readable line each. */
export type ConsoleFormat = 'json' | 'text';

/** `auto` (the default) reads a terminal as a person (`text`) and anything else as a collector (`json`). */
export function resolveConsoleFormat(kind: ConsoleFormat | 'auto', stream: { readonly isTTY?: boolean } = process.stdout): ConsoleFormat {
  return kind === 'auto' ? (stream.isTTY === true ? 'text' : 'json') : kind;
}

/**
 * The stdout format. `text` puts the time, level and component first and the remaining fields
 * as JSON after the message, so nothing a JSON line carries is lost.
 */
export function consoleFormat(kind: ConsoleFormat): winston.Logform.Format {
  if (kind === 'json') return winston.format.json();
  return winston.format.printf((info) => {
    const { timestamp, level, message, component, stack, ...rest } = info;
    const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    const trace = typeof stack === 'string' ? `\n${stack}` : '';
    return `${String(timestamp)} ${level.toUpperCase().padEnd(5)} [${String(component)}] ${String(message)}${fields}${trace}`;
  });
}
