/**
 * The API's services, built from the configuration and the connections the entry point opened. `runPulse` and
 * the end-to-end test helpers both build the API through this, so tests run the same wiring as production.
 */
import type { Client } from '@temporalio/client';
import path from 'node:path';
import type { AppDeps } from '../api/app.js';
import { checkHealth } from '../api/health.js';
import type { PulseConfig } from '../config.js';
import type { ExecutorFactory } from '../executors/executor-factory.js';
import type { Logger } from '../observability/logger.js';
import type { PulseMetrics } from '../observability/metrics.js';
import type { PulseTracing } from '../observability/tracing.js';
import type { DestinationGuard } from '../security/ssrf-guard.js';
import { createCalendarFeed } from '../calendar/calendar-feed.js';
import { CALENDAR_TOKENS_FILE, createFeedTokenStore } from '../calendar/feed-token-store.js';
import { createLedgerService } from '../ledger/ledger-service.js';
import { PROJECT_ROOT } from '../project-root.js';
import { createTaskService } from '../tasks/task-service.js';

export interface ApiServiceInputs {
  readonly config: PulseConfig;
  readonly client: Client;
  readonly executors: ExecutorFactory;
  /** The SSRF guard every user-supplied destination is checked against. */
  readonly guard: DestinationGuard;
  readonly metrics: PulseMetrics;
  readonly logger: Logger;
  readonly tracing?: Pick<PulseTracing, 'withTraceParent'>;
  /** The clock, for tests that pin "now". */
  readonly now?: () => Date;
}

export function createApiServices(inputs: ApiServiceInputs): AppDeps {
  const { config, client, executors } = inputs;
  const { namespace, taskQueue } = config;
  const ledger = createLedgerService({
    client,
    namespace,
    taskQueue,
    uiUrl: config.uiUrl,
    defaultTimezone: config.timezone,
    ...(inputs.now ? { now: inputs.now } : {}),
  });
  return {
    tasks: createTaskService({
      client,
      namespace,
      taskQueue,
      executors,
      uiUrl: config.uiUrl,
      defaultTimezone: config.timezone,
      destinationGuard: inputs.guard,
      maxResultBytes: config.maxResultBytes,
      workerLeaseMs: config.workerLeaseMs,
      callbackWindowMs: config.callbackWindowMs,
      ...(inputs.now ? { now: inputs.now } : {}),
    }),
    ledger,
    calendar: createCalendarFeed({
      ledger,
      tokens: createFeedTokenStore({
        file: path.resolve(PROJECT_ROOT, config.dataDir, CALENDAR_TOKENS_FILE),
      }),
      ...(inputs.now ? { now: inputs.now } : {}),
    }),
    executors: { list: () => executors.list(), defaultExecutor: config.defaultExecutor },
    auth: { apiKeys: config.apiKeys, metricsPublic: config.metricsPublic },
    limits: { bodyBytes: config.bodyLimitBytes, requestsPerMinute: config.rateLimitPerMinute },
    metrics: inputs.metrics,
    logger: inputs.logger,
    health: () => checkHealth({ client, namespace, taskQueue }),
    ...(inputs.tracing ? { withTraceParent: inputs.tracing.withTraceParent } : {}),
  };
}
