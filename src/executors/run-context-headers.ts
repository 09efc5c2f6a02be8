/**
 * A run's context (`run_context`) as the headers of the HTTP call a run makes (http_request and webhook tasks): the
 * common fields one per header, and the whole context as base64url JSON in `x-pulse-context`.
 */
import type { RunContext } from '../shared/task-types.js';

export function runContextHeaders(context: RunContext | undefined): Record<string, string> {
  if (!context) return {};
  const previous = context.previous_run;
  return {
    'x-pulse-scheduled-for': context.scheduled_for,
    'x-pulse-run-number': String(context.run_number),
    ...(previous
      ? {
          'x-pulse-previous-status': previous.status,
          'x-pulse-previous-finished-at': previous.finished_at,
        }
      : {}),
    ...(context.next_run_at ? { 'x-pulse-next-run-at': context.next_run_at } : {}),
    'x-pulse-context': Buffer.from(JSON.stringify(context)).toString('base64url'),
  };
}
