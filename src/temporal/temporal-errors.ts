/**
 * The one place where Temporal's errors become API errors: a missing workflow is a 404, a conflict a 409, an
 * unreachable server a 503. Anything else passes through unchanged (and is a 500, which means a bug).
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, isGrpcServiceError } from '@temporalio/client';
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

export function translateTemporalError(err: unknown, taskId?: string): unknown {
  if (err instanceof PulseApiError) return err;
  if (err instanceof WorkflowNotFoundError) return taskId ? new TaskNotFoundError(taskId) : err;
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
