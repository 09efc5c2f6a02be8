/**
 * Queries and updates of the `scheduledTask` workflow, defined once for the workflow and its callers.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ScheduledTaskInput, TaskState, TriggerInput } from './task-types.js';

/** Current status, next due time and runs of a task. */
export const taskStateQuery = defineQuery<TaskState>('taskState');

/**
 * Moves the due time of a task that has not started running yet; a trigger with input also says what that run uses
 * instead of the task's payload.
 */
export const rescheduleUpdate = defineUpdate<TaskState, [{ dueAtMs: number; triggerInput?: TriggerInput }]>(
  'reschedule',
);

/** Pauses (`true`) or resumes (`false`) a task that has not started running yet. */
export const setPausedUpdate = defineUpdate<TaskState, [{ paused: boolean }]>('setPaused');

/** Replaces what a not-yet-started task will do (payload, metadata, executor, callback) and its memo. */
export const amendUpdate = defineUpdate<TaskState, [AmendRequest]>('amend');

export interface AmendRequest {
  readonly input: Omit<ScheduledTaskInput, 'taskId' | 'dueAtMs'>;
  readonly memo: Record<string, unknown>;
  /** The search attributes that describe the work, rewritten to match it (absent in amends of older versions). */
  readonly attributes?: {
    readonly scheduleType: string;
    readonly executor: string;
    /** null: the task names no agent (the attribute is removed). */
    readonly agentId: string | null;
  };
}

/**
 * An external worker claims a due task; exactly one claimer wins, for a lease of `leaseMs`. A refusal is a result,
 * not a validator rejection: many concurrent claims land in one workflow task, and answering them all from the
 * handler keeps replay simple and deterministic.
 */
export const claimUpdate = defineUpdate<ClaimOutcome, [ClaimRequest]>('claim');

export type ClaimOutcome =
  | { readonly claimed: true; readonly executionId: string; readonly leaseExpiresAtMs: number }
  | { readonly claimed: false; readonly reason: string };

export interface ClaimRequest {
  readonly workerId: string;
  readonly leaseMs: number;
}

/** The claim holder reports the outcome of its run; anyone else is refused (a result, as for claims). */
export const ackUpdate = defineUpdate<AckOutcome, [AckRequest]>('ack');

export type AckOutcome = { readonly accepted: true } | { readonly accepted: false; readonly reason: string };

export interface AckRequest {
  readonly workerId: string;
  /** Absent: the execution this worker's current claim holds. */
  readonly executionId?: string;
  readonly status: 'success' | 'failed';
  readonly result?: unknown;
  readonly error?: string;
  readonly executionTimeMs?: number;
}
