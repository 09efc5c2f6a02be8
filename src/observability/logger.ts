/**
 * Structured JSON logs (pino). The composition root makes one logger per process (`createLogger`) and hands it to
 * the API and the activities; every line about a task carries `task_id`, `workflow_id` and, for a run,
 * `execution_id`.
 */
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
