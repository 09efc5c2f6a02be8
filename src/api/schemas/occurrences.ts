/**
 * `GET /occurrences`: the occurrence ledger (`src/ledger/`) as the API reads its query and answers it. The
 * statuses are the ledger's own list, so the two cannot drift apart.
 */
import { z } from '@hono/zod-openapi';
import { OCCURRENCE_STATUSES } from '../../ledger/occurrences.js';
import { TaskKindEnum } from './fields.js';

export const OccurrenceStatusEnum = z.enum(OCCURRENCE_STATUSES);

export const OccurrencesQuery = z.object({
  from: z.string().max(64).optional().openapi({
    example: '2026-03-01T00:00:00Z',
    description:
      'Start of the window: an ISO-8601 instant, or a date (midnight in `timezone`). Default: a week ago.',
  }),
  to: z.string().max(64).optional().openapi({
    example: '2026-04-01T00:00:00Z',
    description: 'End of the window (at most 366 days after `from`). Default: a month from now.',
  }),
  task_id: z.string().max(300).optional(),
  agent_id: z.string().max(300).optional(),
  schedule_type: z.string().max(100).optional(),
  status: OccurrenceStatusEnum.optional(),
  timezone: z
    .string()
    .max(64)
    .optional()
    .openapi({ description: 'IANA zone of `local_at` (default: the server’s)' }),
  collapse_over: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .optional()
    .openapi({
      example: 4,
      description:
        'A local day with more occurrences than this is answered as counts per status in `collapsed` instead of ' +
        'one by one (a month view of thousands of tasks).',
    }),
});
export type OccurrencesQuery = z.infer<typeof OccurrencesQuery>;

const OccurrenceRun = z
  .object({
    execution_id: z.string().nullable(),
    workflow_id: z.string(),
    run_id: z.string(),
    status: OccurrenceStatusEnum,
    started_at: z.string(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().nullable(),
    result_summary: z.string().nullable(),
    error: z.string().nullable(),
    callback: z
      .object({
        url: z.string(),
        status: z.enum(['delivered', 'failed', 'skipped', 'retrying']).openapi({
          description:
            '`retrying`: the first attempt failed (`error`); it is retried within the delivery window',
        }),
        attempts: z.number().optional(),
        error: z.string().optional(),
        reason: z.string().optional().openapi({ description: 'Why a skipped callback was not sent' }),
      })
      .nullable(),
    notice: z
      .object({
        event: z.enum(['alert', 'recovery']),
        url: z.string(),
        failures: z.number(),
        status: z.enum(['delivered', 'failed']),
        attempts: z.number().optional(),
        error: z.string().optional(),
      })
      .nullable()
      .openapi({ description: 'The alert or recovery notice this run caused (delivery.alert_after)' }),
    ui_url: z.string(),
  })
  .openapi('OccurrenceRun');

export const OccurrenceView = z
  .object({
    task_id: z.string(),
    kind: TaskKindEnum,
    schedule_type: z.string(),
    agent_id: z.string().nullable(),
    name: z.string().nullable(),
    at: z.string().openapi({ description: 'When it was (or is) due, UTC' }),
    local_at: z.string().openapi({ example: '2026-03-29T03:00:00+02:00' }),
    status: OccurrenceStatusEnum,
    reason: z.string().openapi({ description: 'Why it has this status: what ran, or why nothing did' }),
    manual: z.boolean().openapi({ description: 'A run started outside the schedule (trigger)' }),
    run: OccurrenceRun.nullable(),
    blocked_by: OccurrenceRun.nullable().openapi({ description: 'Skipped: the run that was still going' }),
    task_ui_url: z.string(),
  })
  .openapi('Occurrence');

export const OccurrencesResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    timezone: z.string(),
    count: z.number(),
    occurrences: z.array(OccurrenceView),
    collapsed: z
      .array(
        z.object({
          date: z.string().openapi({ example: '2026-03-02', description: 'Local date in `timezone`' }),
          status: OccurrenceStatusEnum,
          count: z.number().int(),
        }),
      )
      .optional()
      .openapi({ description: 'With `collapse_over`: the busy days, as counts per status' }),
    truncated: z.boolean(),
  })
  .openapi('Occurrences');
