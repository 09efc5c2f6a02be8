/**
 * Reads Pulse's configuration from the environment. Only entry points call this; everything else is handed
 * the values it needs.
 */
export interface PulseConfig {
  /** `TEMPORAL_ADDRESS`; undefined means "start the embedded dev server" (npm start only). */
  readonly temporalAddress: string | undefined;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly host: string;
  readonly port: number;
  /** Keys accepted in `Authorization: Bearer`; empty means auth is off. */
  readonly apiKeys: readonly string[];
  /** Base URL of the Temporal Web UI, for `ui_url` links. */
  readonly uiUrl: string;
  readonly uiPort: number;
  readonly temporalPort: number;
  readonly bodyLimitBytes: number;
  readonly timezone: string;
  readonly dataDir: string;
  readonly defaultExecutor: string | undefined;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PulseConfig {
  const uiPort = intFrom(env, 'TEMPORAL_UI_PORT', 8233);
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.PULSE_TASK_QUEUE || 'pulse',
    host: env.HOST || '0.0.0.0',
    port: intFrom(env, 'PORT', 8000),
    apiKeys: (env.PULSE_API_KEY ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    uiUrl: (env.PULSE_UI_URL || `http://localhost:${uiPort}`).replace(/\/+$/, ''),
    uiPort,
    temporalPort: intFrom(env, 'TEMPORAL_PORT', 7233),
    bodyLimitBytes: intFrom(env, 'PULSE_MAX_BODY_BYTES', 1024 * 1024),
    timezone: env.PULSE_TIMEZONE || 'UTC',
    dataDir: env.PULSE_DATA_DIR || '.pulse-data',
    defaultExecutor: env.DEFAULT_EXECUTOR || undefined,
  };
}
