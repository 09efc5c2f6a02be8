/**
 * Structured JSON logs (pino). Every line about a task carries `task_id`, `workflow_id` and, for a run,
 * `execution_id`; the level comes from `PULSE_LOG_LEVEL` (default info).
 */
import { pino, type Logger } from 'pino';

let root: Logger | undefined;

export function logger(): Logger {
  root ??= pino({
    level: process.env.PULSE_LOG_LEVEL?.toLowerCase() || 'info',
    base: { service: 'pulse' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
  return root;
}

/** A logger for lines about one task (and one run of it). */
export function taskLogger(fields: { taskId: string; workflowId?: string; executionId?: string }): Logger {
  return logger().child({
    task_id: fields.taskId,
    ...(fields.workflowId ? { workflow_id: fields.workflowId } : {}),
    ...(fields.executionId ? { execution_id: fields.executionId } : {}),
  });
}
