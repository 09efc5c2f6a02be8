/**
 * The field types the API's requests and responses share: JSON objects, http(s) URLs, durations with their bounds,
 * times in unix seconds, and the status enums of tasks and runs.
 */
import { z } from '@hono/zod-openapi';
import { MAX_AHEAD_MS, MAX_AHEAD_WORDS, parseDelay } from '../../time/duration.js';

export const JsonObject = z.record(z.string(), z.unknown());

export const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).max(2048);

export const DAY_MS = 24 * 3_600_000;

/** The bounds of a duration field and how a refusal names them. */
export interface DurationBounds {
  readonly minMs?: number;
  readonly maxMs: number;
  /** The allowed range in words, for the refusal and the OpenAPI description. */
  readonly range: string;
}

/**
 * A length of time written as a number and a unit (`500ms`, `30s`, `5m`, `1h`, `2d`), read by the same
 * `parseDelay` the task builder uses, with its bounds checked here so that `/openapi.json` states them.
 */
export function duration(bounds: DurationBounds, meta: { example: string; description: string }) {
  return z
    .string()
    .max(20)
    .superRefine((value, ctx) => {
      const ms = parseDelay(value);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `'${value}' is not a duration such as 500ms, 30s, 5m or 1h`,
        });
      } else if ((bounds.minMs !== undefined && ms < bounds.minMs) || !(ms <= bounds.maxMs)) {
        ctx.addIssue({ code: 'custom', message: `must be ${bounds.range}` });
      }
    })
    .openapi({
      example: meta.example,
      description: `${meta.description}. A duration such as 30s, 5m or 1h; ${bounds.range}.`,
    });
}

/** Milliseconds of a duration the schema has already accepted. */
export function durationMs(value: string | null | undefined): number | undefined {
  return value == null ? undefined : parseDelay(value);
}

export const AT_MOST_A_DAY: DurationBounds = { maxMs: DAY_MS, range: 'at most 24h' };
export const AT_MOST_MAX_AHEAD: DurationBounds = { maxMs: MAX_AHEAD_MS, range: `at most ${MAX_AHEAD_WORDS}` };

/** A time in a query string: whole unix seconds, from 1970 to the end of year 9999. */
export const UnixSeconds = z.coerce
  .number({ error: 'must be a time in unix seconds (a whole number)' })
  .int({ error: 'must be a time in unix seconds (a whole number)' })
  .min(0)
  .max(253_402_300_799);

export const RunStatusEnum = z.enum(['success', 'failed', 'cancelled', 'held']);

export const TaskStatusEnum = z.enum(['active', 'processing', 'paused', 'completed', 'failed', 'cancelled']);
export const TaskKindEnum = z.enum(['once', 'recurring', 'adaptive']);
