import type { Migration } from 'kysely';
import * as core from './0001-core.js';
import * as hydrastorEmail from './0002-hydrastor-email.js';
import * as s3Objects from './0003-s3-objects.js';
import * as jobsApi from './0004-jobs-api.js';
import * as veritas2hview from './0005-veritas2hview.js';
import * as jobHeartbeat from './0006-job-heartbeat.js';
import * as uniqueCustomerRoutes from './0007-unique-customer-routes.js';
import * as jobParseIssues from './0008-job-parse-issues.js';
import * as newestObservationWins from './0009-newest-observation-wins.js';
import * as retention from './0010-retention.js';
import * as offboardHold from './0011-offboard-hold.js';
import * as sources from './0012-sources.js';
import * as senderAuth from './0013-sender-auth.js';
import * as alerts from './0014-alerts.js';
import * as refusedArrivals from './0015-refused-arrivals.js';
import * as consoleSessions from './0016-console-sessions.js';
import * as archiveObjects from './0017-archive-objects.js';

/**
 * Every migration, in order. An explicit list (not a folder scan) so the same code runs under tsx
 * and from the compiled build. Released migrations are never edited: add a new one.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-core': core,
  '0002-hydrastor-email': hydrastorEmail,
  '0003-s3-objects': s3Objects,
  '0004-jobs-api': jobsApi,
  '0005-veritas2hview': veritas2hview,
  '0006-job-heartbeat': jobHeartbeat,
  '0007-unique-customer-routes': uniqueCustomerRoutes,
  '0008-job-parse-issues': jobParseIssues,
  '0009-newest-observation-wins': newestObservationWins,
  '0010-retention': retention,
  '0011-offboard-hold': offboardHold,
  '0012-sources': sources,
  '0013-sender-auth': senderAuth,
  '0014-alerts': alerts,
  '0015-refused-arrivals': refusedArrivals,
  '0016-console-sessions': consoleSessions,
  '0017-archive-objects': archiveObjects,
};
