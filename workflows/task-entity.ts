/**
 * A scheduled task's state and the rules for changing it, apart from the workflow that wires them to handlers (the
 * samples' entity-with-updates shape). Nothing here calls Temporal except the due timer's wait; what must reach
 * visibility is read back with `statusAttributes`.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { EXTERNAL_EXECUTOR } from '../src/shared/executor-names.js';
import { FailureType } from '../src/shared/failure-types.js';
import { AHEAD_SETTLED_MS } from '../src/shared/run-ahead.js';
import { PulseDueAt, PulseStatus } from '../src/shared/search-attributes.js';
import type {
  AckOutcome,
  AckRequest,
  AmendRequest,
  ClaimOutcome,
  ClaimRequest,
} from '../src/shared/task-messages.js';
import type {
  RunRecord,
  ScheduledTaskInput,
  TaskState,
  TaskStatus,
  TriggerInput,
} from '../src/shared/task-types.js';
import { DueTimer } from './due-timer.js';
import { decideAck, decideClaim, type Lease } from './external-lease.js';

/** The workflow's input with the task id it belongs to. */
export type ResolvedInput = ScheduledTaskInput & { readonly taskId: string };

/** A run handed out ahead of its due time (`runLeadMs`): it starts at `startsAtMs` unless withdrawn before. */
export interface RunAhead {
  readonly startsAtMs: number;
  /** Called by a change to the task before then: the run is not to start, the task waits again. */
  readonly withdraw: () => void;
}

export class TaskEntity {
  input: ResolvedInput;
  #status: TaskStatus = 'active';
  /** The run handed out ahead, while it waits in a worker for its due time. */
  ahead: RunAhead | undefined;
  readonly runs: RunRecord[] = [];
  readonly timer: DueTimer;
  readonly external: boolean;
  /** External-worker tasks: who holds the task, until when, and what they reported. */
  lease: Lease | undefined;
  reported: RunRecord | undefined;
  /** Given by a trigger with input while the task slept: what its run uses instead of the task's payload. */
  triggerInput: TriggerInput | undefined;
  /** Why the run waited past its due time: its budget was spent for the period. */
  heldReason: string | undefined;

  constructor(input: ResolvedInput, dueAtMs: number) {
    this.input = input;
    this.timer = new DueTimer(dueAtMs);
    this.external = input.executor === EXTERNAL_EXECUTOR;
  }

  /**
   * The task's status. A run handed out ahead leaves the task waiting (and changeable) until just before its due
   * time; from then on the task is processing, as a run started at its due time would make it.
   */
  get status(): TaskStatus {
    const started = this.ahead && Date.now() >= this.ahead.startsAtMs - AHEAD_SETTLED_MS;
    return started && this.#status === 'active' ? 'processing' : this.#status;
  }

  set status(next: TaskStatus) {
    this.#status = next;
  }

  get taskId(): string {
    return this.input.taskId;
  }

  get dueAtMs(): number {
    return this.timer.dueAtMs;
  }

  /** Whether the task still waits for its due time (so it has a due time to show). */
  get waiting(): boolean {
    return this.status === 'active' || this.status === 'paused';
  }

  /** Answer of the `taskState` query. */
  state(): TaskState {
    return {
      taskId: this.taskId,
      status: this.status,
      dueAtMs: this.waiting ? this.dueAtMs : null,
      paused: this.timer.paused,
      runs: this.runs,
      ...(this.lease && !this.reported
        ? { leaseExpiresAtMs: this.lease.leaseExpiresAtMs, dueAtMs: this.dueAtMs }
        : {}),
    };
  }

  /** The status search attributes, as they should read now. */
  statusAttributes() {
    return [
      { key: PulseStatus, value: this.status },
      { key: PulseDueAt, value: this.waiting ? new Date(this.dueAtMs) : null },
    ];
  }

  /** Validator of every change to what or when: only a task that has not started running can change. */
  assertNotStarted(): void {
    if (!this.waiting) {
      throw ApplicationFailure.nonRetryable(
        `task ${this.taskId} is ${this.status}; only a task that has not started running can be changed`,
        FailureType.InvalidStateChange,
      );
    }
  }

  reschedule(dueAtMs: number, triggerInput?: TriggerInput): void {
    this.timer.dueAtMs = dueAtMs;
    if (triggerInput) this.triggerInput = triggerInput;
    this.#withdrawAhead();
  }

  /** A change before a run handed out ahead has started: that run is not to start; the task waits again. */
  #withdrawAhead(): void {
    const ahead = this.ahead;
    this.ahead = undefined;
    ahead?.withdraw();
  }

  /** The input the run uses: the task's own, or what a trigger with input gave for this run. */
  runInput(): ResolvedInput {
    const override = this.triggerInput ?? this.input.triggerInput;
    return override ? { ...this.input, payload: override.payload, triggerInput: override } : this.input;
  }

  setPaused(paused: boolean): void {
    this.timer.paused = paused;
    this.status = paused ? 'paused' : 'active';
    this.#withdrawAhead();
  }

  amend({ input }: AmendRequest): void {
    this.input = {
      ...input,
      taskId: this.taskId,
      ...(this.input.dueAtMs !== undefined ? { dueAtMs: this.input.dueAtMs } : {}),
      // An adaptive task's earlier runs are its own record, not part of what a change replaces.
      ...(this.input.earlier ? { earlier: this.input.earlier } : {}),
    };
    this.#withdrawAhead();
  }

  claim(request: ClaimRequest, nowMs: number, newExecutionId: () => string): ClaimOutcome {
    const { outcome, lease } = decideClaim(
      {
        taskId: this.taskId,
        external: this.external,
        ran: this.reported !== undefined || this.runs.length > 0,
        cancelled: this.status === 'cancelled',
        paused: this.timer.paused,
        dueAtMs: this.dueAtMs,
        lease: this.lease,
      },
      request,
      nowMs,
      newExecutionId,
    );
    if (lease) {
      this.lease = lease;
      this.status = 'processing';
    }
    return outcome;
  }

  ack(request: AckRequest, nowMs: number): AckOutcome {
    const { outcome, run } = decideAck(
      this.taskId,
      this.lease,
      this.reported !== undefined,
      request,
      nowMs,
      this.dueAtMs,
    );
    if (run) this.reported = run;
    return outcome;
  }

  /** Records a run that ended; the task's status follows its outcome. */
  finish(run: RunRecord): void {
    this.runs.push(run);
    this.status = run.status === 'success' ? 'completed' : 'failed';
  }

  /** Replaces the latest run's record (its callback outcome arrived). */
  updateLatest(run: RunRecord): void {
    this.runs[this.runs.length - 1] = run;
  }

  get latest(): RunRecord | undefined {
    return this.runs[this.runs.length - 1];
  }
}
