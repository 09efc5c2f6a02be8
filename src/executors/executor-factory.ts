/**
 * Registry of executors and the rule that picks one for what a task asks (`choose`). Both the API at schedule
 * time and the `executeAgent` activity at run time reach it through `resolveExecutor` (`resolve-executor.ts`),
 * which reads the request out of the task.
 */
import type { Availability, Executor } from './executor.js';
import type { DestinationGuard } from '../security/ssrf-guard.js';
import { EXTERNAL_EXECUTOR } from '../shared/executor-names.js';
import { createExternalWorkerExecutor } from './external-worker-executor.js';
import { createHttpRequestExecutor } from './http-request-executor.js';
import { createLocalExecutor, type LocalConfig } from './local-executor.js';
import { createServerlessExecutor, type ServerlessConfig } from './serverless-executor.js';
import { createWebhookPushExecutor } from './webhook-push-executor.js';

/** Schedule types that run an agent through an agent executor. */
export const AGENT_SCHEDULE_TYPES: ReadonlySet<string> = new Set(['run_agent', 'execute_agent']);
export const HTTP_REQUEST_SCHEDULE_TYPE = 'http_request';
/** Built-in executors that run other kinds of task, never an agent. */
const NOT_FOR_AGENTS: ReadonlySet<string> = new Set(['webhook', EXTERNAL_EXECUTOR]);

export interface ExecutorInfo extends Availability {
  readonly name: string;
  readonly description: string;
}

/** What the factory needs to know about a task to choose its executor. */
export interface ExecutorChoiceInput {
  readonly scheduleType: string;
  /** Explicit `executor_type` from the payload or metadata, if any. */
  readonly requested?: string;
  /** The task names an agent host or port (a `runagent serve` agent). */
  readonly hasAgentHost?: boolean;
  readonly hasWebhook: boolean;
}

export type ExecutorChoice =
  | { readonly ok: true; readonly executor: Executor }
  | { readonly ok: false; readonly code: string; readonly detail: string };

export interface ExecutorFactoryConfig {
  /** `DEFAULT_EXECUTOR`: used for agent tasks that name none. */
  readonly defaultExecutor?: string;
  /** RunAgent Serverless; absent = not registered. */
  readonly serverless?: ServerlessConfig;
  /** Local agents; absent = not registered. */
  readonly local?: LocalConfig;
  /** `PULSE_WEBHOOK_SECRET`: webhook pushes are signed like callbacks. */
  readonly webhookSecret?: string;
  /** With tenants: a tenant's own signing secret for its webhook pushes. */
  readonly secretFor?: (tenant: string | undefined) => string | undefined;
  /** The SSRF guard: every connection to a user-supplied destination goes through it. */
  readonly guard?: DestinationGuard;
  /** With tenants: the guard of a tenant's runs (its own allowed hosts, never another tenant's); else `guard`. */
  readonly guardFor?: (tenant: string | undefined) => DestinationGuard;
}

export interface ExecutorFactory {
  /** Adds (or replaces) an executor under its lower-cased name: `executors.register(createMyExecutor())`. */
  register(executor: Executor): ExecutorFactory;
  /** Looks an executor up by name, case-insensitively. */
  get(name: string): Executor | undefined;
  names(): string[];
  list(): ExecutorInfo[];
  listAvailable(): Executor[];
  choose(input: ExecutorChoiceInput): ExecutorChoice;
}

/** Builds a factory holding the built-in executors. */
export function createExecutorFactory(config: ExecutorFactoryConfig = {}): ExecutorFactory {
  const executors = new Map<string, Executor>();

  const factory: ExecutorFactory = {
    register(executor) {
      executors.set(executor.name.toLowerCase(), executor);
      return factory;
    },
    get: (name) => executors.get(name.trim().toLowerCase()),
    names: () => [...executors.keys()].sort(),
    list: () =>
      [...executors.values()].map((e) => ({ name: e.name, description: e.description, ...e.isAvailable() })),
    listAvailable: () => [...executors.values()].filter((e) => e.isAvailable().available),
    choose(input) {
      if (input.scheduleType === HTTP_REQUEST_SCHEDULE_TYPE) return usable('http');
      if (AGENT_SCHEDULE_TYPES.has(input.scheduleType)) {
        let requested = input.requested?.trim().toLowerCase();
        // For an agent, "http" means an agent served over HTTP (`runagent serve`), which the local executor runs.
        if (requested === 'http') requested = 'local';
        if (requested && NOT_FOR_AGENTS.has(requested)) {
          return {
            ok: false,
            code: 'UNKNOWN_EXECUTOR',
            detail: `Executor '${requested}' does not run agents; use serverless, local or a custom agent executor.`,
          };
        }
        if (requested && requested !== 'auto') return usable(requested);
        // An agent at a given host is a local agent, whatever the default.
        if (input.hasAgentHost) return usable('local');
        if (config.defaultExecutor) return usable(config.defaultExecutor);
        return autoAgentExecutor();
      }
      if (input.hasWebhook) return usable('webhook');
      // No webhook: the task waits for an external worker to poll, claim and ack it.
      return usable(EXTERNAL_EXECUTOR);
    },
  };

  function usable(name: string): ExecutorChoice {
    const executor = factory.get(name);
    if (!executor) {
      return {
        ok: false,
        code: 'UNKNOWN_EXECUTOR',
        detail: `Unknown executor '${name}'. Registered executors: ${factory.names().join(', ')}.`,
      };
    }
    const availability = executor.isAvailable();
    if (!availability.available) {
      return {
        ok: false,
        code: 'EXECUTOR_UNAVAILABLE',
        detail: `Executor '${executor.name}' is not available: ${availability.reason ?? 'no reason given'}.`,
      };
    }
    return { ok: true, executor };
  }

  // Serverless when it is configured, otherwise a local agent (the original's rule).
  function autoAgentExecutor(): ExecutorChoice {
    for (const name of ['serverless', 'local']) {
      const executor = factory.get(name);
      if (executor?.isAvailable().available) return { ok: true, executor };
    }
    return {
      ok: false,
      code: 'NO_AGENT_EXECUTOR',
      detail:
        'No agent executor is available to run this task. Available executors: ' +
        `${
          factory
            .listAvailable()
            .map((e) => e.name)
            .join(', ') || 'none'
        }; ` +
        'set payload.executor_type to one of them or configure an agent executor.',
    };
  }

  const guardOf = (tenant: string | undefined) => config.guardFor?.(tenant) ?? config.guard;
  const outbound = { dispatcherFor: (tenant: string | undefined) => guardOf(tenant)?.dispatcher };
  factory.register(createExternalWorkerExecutor());
  factory.register(createHttpRequestExecutor(outbound)).register(
    createWebhookPushExecutor({
      ...outbound,
      webhookSecret: config.webhookSecret,
      ...(config.secretFor ? { secretFor: config.secretFor } : {}),
    }),
  );
  if (config.serverless) factory.register(createServerlessExecutor(config.serverless));
  if (config.local) factory.register(createLocalExecutor({ ...config.local, guardFor: guardOf }));
  return factory;
}
