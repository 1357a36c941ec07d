/**
 * The closed vocabulary of alert conditions (docs/alerts.md). A condition is a kind and a key;
 * the key names what is affected, so two failing modules are two conditions and one module failing
 * a hundred times is one. Customer kinds reach global subscriptions and that customer's; service
 * kinds (customer null) only global ones.
 */
export const ALERT_KINDS = ['job_failed', 'job_timed_out', 'unclassified', 'silent_source', 'disk_low', 'spool_stuck', 'worker_stuck', 'sqs_errors'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** What a key is made of; only the fields of its kind are set. */
export interface AlertScope {
  readonly customer?: string;
  readonly category?: string;
  readonly type?: string;
  readonly group?: string;
  readonly node?: string;
  readonly area?: string;
  readonly queue?: string;
}

/** One occurrence of a condition, as a check or a job event finds it. */
export interface AlertOccurrence {
  readonly kind: AlertKind;
  readonly scope: AlertScope;
  /** The latest facts (job id and error, free bytes, waiting time…), sent with the notification. */
  readonly details: Readonly<Record<string, unknown>>;
  /** Occurrences this one stands for (several failed jobs of one module found at once). */
  readonly count: number;
}

/** The key of a condition: its scope's fields in a fixed order, joined with `/`. */
export function alertKey(kind: AlertKind, scope: AlertScope): string {
  const parts: Array<string | undefined> = (() => {
    switch (kind) {
      case 'job_failed':
      case 'job_timed_out':
        return [scope.customer, scope.category, scope.type];
      case 'unclassified':
        return [scope.customer];
      case 'silent_source':
        return [scope.customer, scope.group, scope.category, scope.type];
      case 'disk_low':
        return [scope.node, scope.area];
      case 'spool_stuck':
        return [scope.node];
      case 'worker_stuck':
        return ['queue'];
      case 'sqs_errors':
        return [scope.node, scope.queue];
    }
  })();
  return parts.map((part) => part ?? '').join('/');
}

/** One line for people (mail subject, chat message): what happened to what. */
export function describeCondition(kind: AlertKind, scope: AlertScope): string {
  const module = `${scope.category ?? '?'}/${scope.type ?? '?'}`;
  switch (kind) {
    case 'job_failed':
      return `jobs of ${module} failed for ${scope.customer ?? '?'}`;
    case 'job_timed_out':
      return `jobs of ${module} timed out for ${scope.customer ?? '?'}`;
    case 'unclassified':
      return `arrivals of ${scope.customer ?? '?'} that no module recognised are waiting`;
    case 'silent_source':
      return `${scope.group ?? '?'} of ${scope.customer ?? '?'} has sent no ${module} for longer than expected`;
    case 'disk_low':
      return `free space of the ${scope.area ?? '?'} root on ${scope.node ?? '?'} is below the warning threshold`;
    case 'spool_stuck':
      return `acknowledged mail on ${scope.node ?? '?'} is not getting its job folders (spool stuck)`;
    case 'worker_stuck':
      return 'runnable jobs have been waiting in the queue too long (workers stuck or missing)';
    case 'sqs_errors':
      return `receiving from SQS queue ${scope.queue ?? '?'} keeps failing on ${scope.node ?? '?'}`;
  }
}

export function isAlertKind(value: string): value is AlertKind {
  return (ALERT_KINDS as readonly string[]).includes(value);
}
