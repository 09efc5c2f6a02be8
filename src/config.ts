/**
 * Reads Pulse's configuration from the environment: the one place that does. Only entry points call this;
 * everything else is handed the values (or the services built from them) it needs. A bad value is an error
 * naming the variable, so Pulse refuses to start rather than run on a guess.
 */
import type { LogLevel as TemporalLogLevel } from '@temporalio/worker';
import net from 'node:net';
import type { LevelWithSilent } from 'pino';
import type { LocalConfig } from './executors/local-executor.js';
import { LOG_LEVELS } from './observability/logger.js';
import { parseDelay } from './time/parse-when.js';
import type { ServerlessConfig } from './executors/serverless-executor.js';

/** `PULSE_TRACING`: where OpenTelemetry spans go; `off` (the default) loads no tracing code at all. */
export type TracingMode = 'off' | 'otlp' | 'console';

export interface PulseConfig {
  /** `TEMPORAL_ADDRESS`; undefined means "start the embedded dev server" (npm start only). */
  readonly temporalAddress: string | undefined;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly host: string;
  readonly port: number;
  /** Keys accepted in `Authorization: Bearer`; empty means auth is off. */
  readonly apiKeys: readonly string[];
  /** `PULSE_TENANTS_FILE`: the tenant registry (docs/tenants.md); absent = single-tenant. */
  readonly tenantsFile: string | undefined;
  /**
   * `PULSE_RUN_LEAD`: with tenants, how long before its due time a one-time run is handed to a worker, which holds
   * it until then (docs/tenants.md); `0` or `off`: when due. Default 8 s.
   */
  readonly runLeadMs: number;
  /** `PULSE_TIMER_MAX_TIME_SHIFT`: the servers Pulse starts batch timers by this much (unset: the server's 1 s). */
  readonly timerMaxTimeShift: string | undefined;
  /** Base URL of the Temporal Web UI, for `ui_url` links. */
  readonly uiUrl: string;
  readonly uiPort: number;
  readonly temporalPort: number;
  readonly bodyLimitBytes: number;
  readonly timezone: string;
  readonly dataDir: string;
  readonly defaultExecutor: string | undefined;
  readonly serverless: ServerlessConfig;
  readonly local: LocalConfig;
  /** `PULSE_EXECUTORS_MODULE`: a module whose `register(executors)` adds custom executors. */
  readonly executorsModule: string | undefined;
  /** `PULSE_WEBHOOK_SECRET`: signs callbacks (Standard Webhooks). */
  readonly webhookSecret: string | undefined;
  /** `PULSE_CALLBACK_WINDOW`: how long a failing callback is retried (default 24h). */
  readonly callbackWindowMs: number;
  /** `PULSE_MAX_RESULT_BYTES`: largest run result kept (default 256 KiB). */
  readonly maxResultBytes: number;
  /** `PULSE_RATE_LIMIT`: requests per minute per API key (or client address without auth); 0 = off. */
  readonly rateLimitPerMinute: number;
  /** `PULSE_WORKER_LEASE`: how long an external worker's claim holds without an ack (default 60s). */
  readonly workerLeaseMs: number;
  /** `PULSE_TRACING`: `otlp`, `console`, or `off` (default). */
  readonly tracing: TracingMode;
  /**
   * Where OTLP spans go, by the OpenTelemetry rule: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else `http://localhost:4318/v1/traces`.
   */
  readonly otlpTracesUrl: string;
  /** `PULSE_LOG_LEVEL`: pino's level for Pulse's JSON logs (default info). */
  readonly logLevel: LevelWithSilent;
  /** `TEMPORAL_LOG_LEVEL`: the Temporal SDK's own log level (default WARN). */
  readonly temporalLogLevel: TemporalLogLevel;
  /** `PULSE_METRICS_PUBLIC`: serve `/metrics` without the API key (for a scraper on a private network). */
  readonly metricsPublic: boolean;
  /** `PULSE_WORKER_METRICS_PORT`: the Temporal SDK's Prometheus exporter on 127.0.0.1 (default 9464; 0 = off). */
  readonly workerMetricsPort: number;
  /** `TEMPORAL_IP`: the address the embedded dev server binds (default 127.0.0.1). */
  readonly temporalIp: string;
  /** `PULSE_RETENTION_DAYS`: how long the embedded dev server keeps closed workflows (default 30). */
  readonly retentionDays: number;
  /**
   * `PULSE_ALLOW_PRIVATE_NETWORKS` and `PULSE_ALLOWED_HOSTS`: what the SSRF guard lets user URLs reach.
   * `strict`: `PULSE_ALLOW_PRIVATE_NETWORKS` was set to false, so not even a local development start (the embedded
   * dev server) opens loopback.
   */
  readonly destinations: {
    readonly allowPrivateNetworks: boolean;
    readonly allowedHosts: readonly string[];
    readonly strict: boolean;
  };
}

/** What `Authorization: Bearer` can carry (RFC 6750 `b64token`); a key outside it could never be presented. */
const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;
const TEMPORAL_LOG_LEVELS: readonly TemporalLogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

function listFrom(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function oneOf<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const match = allowed.find((value) => value.toLowerCase() === raw.toLowerCase());
  if (!match) throw new Error(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  return match;
}

function apiKeysFrom(env: NodeJS.ProcessEnv): string[] {
  const keys = listFrom(env, 'PULSE_API_KEY');
  const bad = keys.findIndex((key) => !BEARER_TOKEN.test(key));
  if (bad >= 0) {
    throw new Error(
      `PULSE_API_KEY: key ${bad + 1} has characters a Bearer token cannot carry; use letters, digits and . _ ~ + / - (= only at the end)`,
    );
  }
  return keys;
}

function ipFrom(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (net.isIP(raw) === 0) throw new Error(`${name} must be an IP address such as 127.0.0.1, got '${raw}'`);
  return raw;
}

function otlpTracesUrlFrom(env: NodeJS.ProcessEnv): string {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const url =
    traces ||
    `${(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || 'http://localhost:4318').replace(/\/+$/, '')}/v1/traces`;
  if (!URL.canParse(url)) {
    const name = traces ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
    throw new Error(`${name} must be a URL such as http://localhost:4318, got '${env[name]}'`);
  }
  return url;
}

function durationFrom(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallbackMs;
  const ms = parseDelay(raw);
  if (ms === undefined || ms <= 0)
    throw new Error(`${name} must be a duration such as 30m or 24h, got '${raw}'`);
  return ms;
}

function runLeadFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.PULSE_RUN_LEAD?.trim().toLowerCase();
  if (raw === 'off' || raw === '0') return 0;
  return durationFrom(env, 'PULSE_RUN_LEAD', DEFAULT_RUN_LEAD_MS);
}

function boolFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got '${env[name]}'`);
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return value;
}

function positiveIntFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = intFrom(env, name, fallback);
  if (value < 1) throw new Error(`${name} must be a positive integer, got '${env[name]}'`);
  return value;
}

function tracingFrom(env: NodeJS.ProcessEnv): TracingMode {
  const raw = env.PULSE_TRACING?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'off') return 'off';
  if (raw === 'otlp' || raw === 'console') return raw;
  throw new Error(
    `PULSE_TRACING must be otlp (OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT), console or off, got '${env.PULSE_TRACING}'`,
  );
}

/**
 * How long before its due time a tenant's one-time run is handed to a worker (`PULSE_RUN_LEAD`): longer than
 * Temporal took to hand out the first runs of a burst of 2,000 due at once (1.7 s on the dev server, 5.2 s on the
 * production-shaped cluster, BENCHMARKS.md), and short of the run's default heartbeat timeout (10 s).
 */
export const DEFAULT_RUN_LEAD_MS = 8000;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PulseConfig {
  const uiPort = intFrom(env, 'TEMPORAL_UI_PORT', 8233);
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.PULSE_TASK_QUEUE || 'pulse',
    host: env.HOST || '0.0.0.0',
    port: intFrom(env, 'PORT', 8000),
    apiKeys: apiKeysFrom(env),
    tenantsFile: env.PULSE_TENANTS_FILE?.trim() || undefined,
    runLeadMs: runLeadFrom(env),
    timerMaxTimeShift: env.PULSE_TIMER_MAX_TIME_SHIFT?.trim() || undefined,
    uiUrl: (env.PULSE_UI_URL || `http://localhost:${uiPort}`).replace(/\/+$/, ''),
    uiPort,
    temporalPort: intFrom(env, 'TEMPORAL_PORT', 7233),
    bodyLimitBytes: intFrom(env, 'PULSE_MAX_BODY_BYTES', 1024 * 1024),
    timezone: env.PULSE_TIMEZONE || 'UTC',
    dataDir: env.PULSE_DATA_DIR || '.pulse-data',
    defaultExecutor: env.DEFAULT_EXECUTOR || undefined,
    serverless: {
      enabled: boolFrom(env, 'ENABLE_SERVERLESS_INTEGRATION', true),
      baseUrl: (env.RUNAGENT_BASE_URL || 'https://backend.run-agent.ai').replace(/\/+$/, ''),
      apiKey: env.RUNAGENT_SERVERLESS_API_KEY || env.RUNAGENT_API_KEY || undefined,
    },
    local: {
      enabled: boolFrom(env, 'ENABLE_LOCAL_EXECUTOR', true),
      agentPath: env.LOCAL_AGENT_PATH || undefined,
      python: env.PULSE_PYTHON || 'python3',
      allowPythonSysPath: boolFrom(env, 'PULSE_PYTHON_ALLOW_SYS_PATH', false),
      defaultAgentPort: intFrom(env, 'RUNAGENT_LOCAL_PORT', 8450),
    },
    executorsModule: env.PULSE_EXECUTORS_MODULE || undefined,
    webhookSecret: env.PULSE_WEBHOOK_SECRET || undefined,
    callbackWindowMs: durationFrom(env, 'PULSE_CALLBACK_WINDOW', 24 * 3_600_000),
    maxResultBytes: intFrom(env, 'PULSE_MAX_RESULT_BYTES', 256 * 1024),
    rateLimitPerMinute: intFrom(env, 'PULSE_RATE_LIMIT', 600),
    workerLeaseMs: durationFrom(env, 'PULSE_WORKER_LEASE', 60_000),
    tracing: tracingFrom(env),
    otlpTracesUrl: otlpTracesUrlFrom(env),
    logLevel: oneOf(env, 'PULSE_LOG_LEVEL', LOG_LEVELS, 'info'),
    temporalLogLevel: oneOf(env, 'TEMPORAL_LOG_LEVEL', TEMPORAL_LOG_LEVELS, 'WARN'),
    metricsPublic: boolFrom(env, 'PULSE_METRICS_PUBLIC', false),
    workerMetricsPort: intFrom(env, 'PULSE_WORKER_METRICS_PORT', 9464),
    temporalIp: ipFrom(env, 'TEMPORAL_IP', '127.0.0.1'),
    retentionDays: positiveIntFrom(env, 'PULSE_RETENTION_DAYS', 30),
    destinations: {
      allowPrivateNetworks: boolFrom(env, 'PULSE_ALLOW_PRIVATE_NETWORKS', false),
      allowedHosts: listFrom(env, 'PULSE_ALLOWED_HOSTS'),
      strict: boolFrom(env, 'PULSE_ALLOW_PRIVATE_NETWORKS', true) === false,
    },
  };
}
