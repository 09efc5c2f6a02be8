/**
 * Structured JSON logs (pino). The composition root makes one logger per process (`createLogger`) and hands it to
 * the API and the activities; every line about a task carries `task_id`, `workflow_id` and, for a run,
 * `execution_id`.
 */
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** The levels `PULSE_LOG_LEVEL` accepts (pino's). */
export const LOG_LEVELS: readonly LevelWithSilent[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

export interface LoggerConfig {
  /** `PULSE_LOG_LEVEL`, checked by `loadConfig`. */
  readonly logLevel: LevelWithSilent;
}

/** The process's logger; `destination` is for tests that read the lines back. */
export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: 'pulse' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger for lines about one task (and one run of it). */
export function taskLogger(
  logger: Logger,
  fields: { taskId: string; workflowId?: string; executionId?: string },
): Logger {
  return logger.child({
    task_id: fields.taskId,
    ...(fields.workflowId ? { workflow_id: fields.workflowId } : {}),
    ...(fields.executionId ? { execution_id: fields.executionId } : {}),
  });
}

/** The Temporal SDK's log levels, lowest first (`TEMPORAL_LOG_LEVEL`). */
const SDK_LEVELS: readonly TemporalLogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
/** Meta the SDK attaches that is noise in a log line (a binary token, the SDK's own bookkeeping). */
const SDK_NOISE = new Set([
  'taskToken',
  'sdkComponent',
  'isLocal',
  'namespace',
  'taskQueue',
  'workflowRunId',
]);
/**
 * Per-attempt activity lines the SDK writes: Pulse's activities log every attempt themselves (with task_id and
 * execution_id), so the SDK's copy, with its stack, is kept for debug only: one line per failed attempt.
 */
const SDK_ACTIVITY_ATTEMPT =
  /^Activity (started|completed|failed|completed asynchronously|resolved as failed)/;

/**
 * The Temporal SDK's logger (`Runtime.install({ logger })`), writing into the process's pino logger: one JSON line
 * per SDK message, with an error reduced to its message and type (no stack, no task token).
 */
export function temporalSdkLogger(logger: Logger, level: TemporalLogLevel): TemporalLogger {
  const sdk = logger.child({ component: 'temporal-sdk' });
  const threshold = SDK_LEVELS.indexOf(level);
  const write = (sdkLevel: TemporalLogLevel, message: string, meta: LogMetadata = {}) => {
    if (SDK_LEVELS.indexOf(sdkLevel) < threshold) return;
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(meta)) {
      if (SDK_NOISE.has(key)) continue;
      if (value instanceof Error) {
        fields[key] = value.message;
        fields[`${key}_type`] = value.name;
      } else fields[key] = value;
    }
    const attempt = SDK_ACTIVITY_ATTEMPT.test(message);
    const method = attempt ? 'debug' : PINO_FOR_SDK[sdkLevel];
    sdk[method](fields, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

const PINO_FOR_SDK = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
} as const satisfies Record<TemporalLogLevel, string>;

/** `level=WARN msg="…" key=value …`: the embedded dev server's logfmt lines. */
const LOGFMT_PAIR = /([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)/g;

/**
 * A line the embedded Temporal dev server printed, as one JSON log line (its logfmt parsed into fields). During
 * shutdown the server's warnings about connections closing are expected, so `quiet()` lowers them to debug.
 */
export function devServerLogger(logger: Logger): { line: (text: string) => void; quiet: () => void } {
  const server = logger.child({ component: 'temporal-server' });
  let quiet = false;
  return {
    quiet: () => {
      quiet = true;
    },
    line(text) {
      const fields: Record<string, string> = {};
      for (const [, key, raw] of text.matchAll(LOGFMT_PAIR)) {
        fields[key!] = raw!.startsWith('"') ? raw!.slice(1, -1).replace(/\\"/g, '"') : raw!;
      }
      const { level = 'info', msg = text, time: _time, service, ...rest } = fields;
      // The server's own `service` (frontend, history, …) must not overwrite the line's `service: pulse`.
      if (service) rest.temporal_service = service;
      const method = quiet
        ? 'debug'
        : level.toLowerCase() === 'error'
          ? 'error'
          : level.toLowerCase() === 'warn'
            ? 'warn'
            : 'info';
      server[method](rest, msg);
    },
  };
}
