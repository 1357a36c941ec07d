import { mkdirSync } from 'node:fs';
import path from 'node:path';
import winston from 'winston';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LoggingOptions {
  readonly logDir: string;
  readonly level: LogLevel;
  /** Tests turn the console copy off to keep the runner's output readable. */
  readonly console?: boolean;
}

/**
 * One JSON-lines logger per component (smtp, worker, http, …), each writing to stdout and to
 * `<logDir>/dataprocessor_<component>.log`, the seed's `/var/log/hview/dataprocessor_*` layout.
 * Lines about a job carry `jobId` (use `logger.child({ jobId })`).
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
    const transports: winston.transport[] = [
      new winston.transports.File({ filename: path.join(this.#options.logDir, `dataprocessor_${component}.log`) }),
    ];
    if (this.#options.console !== false) transports.push(new winston.transports.Console());
    const logger = winston.createLogger({
      level: this.#options.level,
      defaultMeta: { component },
      format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
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
    await Promise.all([...this.#loggers.values()].map(async (logger) => {
      logger.silent = true;
      const transports = [...logger.transports];
      logger.clear();
      await Promise.all(transports.map((transport) => new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        timer.unref();
        transport.once('finish', () => { clearTimeout(timer); resolve(); });
        transport.end();
      })));
    }));
    this.#loggers.clear();
  }
}
