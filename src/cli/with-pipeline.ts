import type { Config } from '../config/config-schema.js';

export type CliService = Awaited<ReturnType<(typeof import('../main.js'))['startService']>>;

/**
 * Runs `run` with the pipeline as src/main.ts wires it (the one composition root), trimmed for a
 * one-shot command next to a serving instance: no SMTP listener, an HTTP port nobody is told
 * about, no SQS consumer or reconciler (they would take the service's messages and objects), no
 * housekeeping, and a worker only when the command waits for its job. Stopped whatever happens.
 */
export async function withPipeline<T>(config: Config, options: { readonly worker: boolean }, run: (service: CliService) => Promise<T>): Promise<T> {
  // Lazily: main.ts loads every transport, which no other command needs.
  const { startService } = await import('../main.js');
  const service = await startService({
    config: {
      ...config,
      http: { ...config.http, port: 0, host: '127.0.0.1' },
      smtp: { ...config.smtp, enabled: false },
      s3: { ...config.s3, sqs: { ...config.s3.sqs, queueUrl: null }, reconcile: { ...config.s3.reconcile, intervalSeconds: null } },
      worker: { ...config.worker, enabled: options.worker },
    },
    logToConsole: false,
    housekeeping: false,
  });
  try {
    return await run(service);
  } finally {
    await service.stop();
  }
}
