/**
 * Pulse's custom search attributes: what the Web UI shows per task and what `temporal workflow list --query`
 * filters on (for example `PulseScheduleType='http_request'`). Node-free: workflows upsert these.
 */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

export const PulseScheduleType = defineSearchAttributeKey('PulseScheduleType', SearchAttributeType.KEYWORD);
export const PulseAgentId = defineSearchAttributeKey('PulseAgentId', SearchAttributeType.KEYWORD);
export const PulseExecutor = defineSearchAttributeKey('PulseExecutor', SearchAttributeType.KEYWORD);
export const PulseStatus = defineSearchAttributeKey('PulseStatus', SearchAttributeType.KEYWORD);
export const PulseDueAt = defineSearchAttributeKey('PulseDueAt', SearchAttributeType.DATETIME);
/** External-worker tasks: when the current claim's lease runs out (the task is claimable again after it). */
export const PulseLeaseExpiresAt = defineSearchAttributeKey(
  'PulseLeaseExpiresAt',
  SearchAttributeType.DATETIME,
);
/**
 * When a task last wrote its visibility row (each of its writes stamps it), so a reader can ask what changed since
 * a moment: with `StartTime` and `CloseTime`, every change of a task's row.
 */
export const PulseChangedAt = defineSearchAttributeKey('PulseChangedAt', SearchAttributeType.DATETIME);
/** `delivered` or `failed`: finds runs whose callback never got through. */
export const PulseCallbackStatus = defineSearchAttributeKey(
  'PulseCallbackStatus',
  SearchAttributeType.KEYWORD,
);

/**
 * The recurring task a run belongs to when Pulse started the run itself rather than its Schedule (a trigger with
 * input, which a Schedule's trigger cannot carry); Temporal sets `TemporalScheduledById` on the others.
 */
export const PulseTaskId = defineSearchAttributeKey('PulseTaskId', SearchAttributeType.KEYWORD);

/** The tenant a task belongs to (docs/tenants.md); absent in single-tenant Pulse. */
export const PulseTenant = defineSearchAttributeKey('PulseTenant', SearchAttributeType.KEYWORD);

/** Set by Temporal on workflows a Schedule started: the schedule id (= Pulse task id) and the nominal time. */
export const TemporalScheduledById = defineSearchAttributeKey(
  'TemporalScheduledById',
  SearchAttributeType.KEYWORD,
);
export const TemporalScheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

export const PULSE_SEARCH_ATTRIBUTES = [
  PulseScheduleType,
  PulseAgentId,
  PulseExecutor,
  PulseStatus,
  PulseDueAt,
  PulseCallbackStatus,
  PulseLeaseExpiresAt,
  PulseChangedAt,
  PulseTaskId,
  PulseTenant,
];

/** Workflow type name of a scheduled task, as listed in the Web UI and used in visibility queries. */
export const SCHEDULED_TASK_WORKFLOW = 'scheduledTask';
