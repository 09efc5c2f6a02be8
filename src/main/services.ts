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
import { createTenantGuards, type DestinationGuard, type GuardFor } from '../security/ssrf-guard.js';
import { loadTenantRegistry, type TenantRegistry } from '../tenants/tenant-registry.js';
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
  /** With tenants: the guard of each tenant's tasks (made from `guard`'s settings plus its own hosts otherwise). */
  readonly guardFor?: GuardFor;
  readonly metrics: PulseMetrics;
  readonly logger: Logger;
  readonly tracing?: Pick<PulseTracing, 'withTraceParent'>;
  /** The clock, for tests that pin "now". */
  readonly now?: () => Date;
  /** A tenant registry made by the caller (tests), instead of one read from `config.tenantsFile`. */
  readonly tenants?: TenantRegistry;
}

export function createApiServices(inputs: ApiServiceInputs): AppDeps {
  const { config, client, executors } = inputs;
  const tenants =
    inputs.tenants ??
    (config.tenantsFile
      ? loadTenantRegistry({
          file: path.resolve(PROJECT_ROOT, config.tenantsFile),
          onError: (err) =>
            inputs.logger.error({ err: err.message }, 'tenants file not reloaded; the last good one stays'),
          onReload: (count) => inputs.logger.info({ tenants: count }, 'tenants file reloaded'),
        })
      : undefined);
  // Each tenant's destinations are checked against the global list plus its own, never another tenant's.
  const guardFor =
    inputs.guardFor ??
    (tenants
      ? createTenantGuards(
          inputs.guard,
          config.destinations,
          (tenant) => tenants.tenant(tenant)?.allowed_hosts,
        )
      : () => inputs.guard);
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
      guardFor,
      weightOf: (tenant: string) => tenants?.tenant(tenant)?.weight,
      runLeadMs: config.runLeadMs,
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
      tenantsOn: () => tenants !== undefined,
    }),
    executors: { list: () => executors.list(), defaultExecutor: config.defaultExecutor },
    auth: { apiKeys: config.apiKeys, metricsPublic: config.metricsPublic, ...(tenants ? { tenants } : {}) },
    limits: { bodyBytes: config.bodyLimitBytes, requestsPerMinute: config.rateLimitPerMinute },
    metrics: inputs.metrics,
    logger: inputs.logger,
    health: () => checkHealth({ client, namespace, taskQueue }),
    ...(inputs.tracing ? { withTraceParent: inputs.tracing.withTraceParent } : {}),
  };
}
