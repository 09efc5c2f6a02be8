/**
 * The one place where Temporal's errors become API errors: a missing workflow or schedule is a 404, an id already
 * taken or a refused state change a 409, an unreachable server a 503. Anything else passes through unchanged (and
 * is a 500, which means a bug).
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  isGrpcServiceError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  BadRequestError,
  ConflictError,
  PulseApiError,
  TaskNotFoundError,
  TemporalUnavailableError,
} from '../errors.js';
import { FailureType } from '../shared/failure-types.js';

/** A workflow or schedule with this id exists already (the SDK wraps the schedule's error in a cause). */
function isAlreadyStarted(err: unknown): boolean {
  return (
    err instanceof WorkflowExecutionAlreadyStartedError ||
    err instanceof ScheduleAlreadyRunning ||
    (err instanceof Error && err.cause instanceof ScheduleAlreadyRunning)
  );
}

export function translateTemporalError(err: unknown, taskId?: string): unknown {
  if (err instanceof PulseApiError) return err;
  if (err instanceof WorkflowNotFoundError || err instanceof ScheduleNotFoundError) {
    return taskId ? new TaskNotFoundError(taskId) : err;
  }
  if (isAlreadyStarted(err) && taskId) {
    return new ConflictError('TASK_EXISTS', `A task with id '${taskId}' already exists.`);
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    if (err.cause.type === FailureType.InvalidStateChange)
      return new ConflictError('INVALID_STATE', err.cause.message);
  }
  const grpc = isGrpcServiceError(err)
    ? err
    : isGrpcServiceError((err as { cause?: unknown })?.cause)
      ? (err as { cause: unknown }).cause
      : undefined;
  if (grpc && isGrpcServiceError(grpc)) {
    switch (grpc.code) {
      case GrpcStatus.NOT_FOUND:
        return taskId ? new TaskNotFoundError(taskId) : err;
      case GrpcStatus.INVALID_ARGUMENT:
        return new BadRequestError('INVALID_ARGUMENT', `Temporal rejected the request: ${grpc.details}`);
      case GrpcStatus.UNAVAILABLE:
      case GrpcStatus.DEADLINE_EXCEEDED:
        return new TemporalUnavailableError(
          `Temporal is not reachable right now (${grpc.details}); try again shortly.`,
        );
    }
  }
  return err;
}

/** Runs a call to Temporal about one task, its errors translated. */
export async function onTemporal<T>(taskId: string | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw translateTemporalError(err, taskId);
  }
}

/** Like `onTemporal`, but a task that is not there is `undefined` rather than a 404. */
export async function ifExists<T>(taskId: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    const translated = translateTemporalError(err, taskId);
    if (translated instanceof TaskNotFoundError) return undefined;
    throw translated;
  }
}
