import { mkdirSync } from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import { consoleFormat, type ConsoleFormat } from './console-format.js';
import { RotatingFileTransport } from './rotating-file-transport.js';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Size-based rotation of each component's file (config `logRotation`). */
export interface LogRotation {
  readonly maxBytes: number;
  /** Rotated files kept beside the live one: `dataprocessor_<component>1.log` (newest) … `<n>.log`. */
  readonly maxFiles: number;
}

/** Used where a caller names none (tests, one-shot commands): the defaults of config/default.json. */
export const DEFAULT_LOG_ROTATION: LogRotation = Object.freeze({ maxBytes: 50 * 1024 * 1024, maxFiles: 10 });

export interface LoggingOptions {
  readonly logDir: string;
  readonly level: LogLevel;
  /** Tests turn the console copy off to keep the runner's output readable. */
  readonly console?: boolean;
  /** How lines look on stdout; the files are JSON lines whatever this says. */
  readonly consoleFormat?: ConsoleFormat;
  readonly rotation?: LogRotation;
}

/**
 * One JSON-lines logger per component (smtp, worker, http, …), each writing to stdout and to
 * `<logDir>/dataprocessor_<component>.log`, the seed's `/var/log/hview/dataprocessor_*` layout.
 * Lines about a job carry `jobId` (use `logger.child({ jobId })`).
 * Each file is rotated by size (RotatingFileTransport: the live file keeps its name).
 */
export class Logging {
  readonly #options: LoggingOptions;
  readonly #loggers = new Map<string, Logger>();

  constructor(options: LoggingOptions) {
    this.#options = options;
    mkdirSync(options.logDir, { recursive: true });
  }

  for(component: string): Logger {
    const existing = this.#loggers.get(component);
    if (existing !== undefined) return existing;
    const rotation = this.#options.rotation ?? DEFAULT_LOG_ROTATION;
    const transports: winston.transport[] = [
      new RotatingFileTransport({
        filename: path.join(this.#options.logDir, `dataprocessor_${component}.log`),
        format: winston.format.json(),
        maxBytes: rotation.maxBytes,
        maxFiles: rotation.maxFiles,
      }),
    ];
    if (this.#options.console !== false) {
      transports.push(new winston.transports.Console({ format: consoleFormat(this.#options.consoleFormat ?? 'json') }));
    }
    const logger = winston.createLogger({
      level: this.#options.level,
      defaultMeta: { component },
      format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true })),
      transports,
    });
    this.#loggers.set(component, logger);
    return logger;
  }

  /**
   * Flushes and closes every file; call last during shutdown. Loggers handed out stay usable but
   * silent afterwards, so a late event (a pool error during teardown) cannot crash the process.
   */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#loggers.values()].map(async (logger) => {
        logger.silent = true;
        const transports = [...logger.transports];
        logger.clear();
        await Promise.all(
          transports.map(
            (transport) =>
              new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, 2000);
                timer.unref();
                transport.once('finish', () => {
                  clearTimeout(timer);
                  resolve();
                });
                transport.end();
              }),
          ),
        );
      }),
    );
    this.#loggers.clear();
  }
}
