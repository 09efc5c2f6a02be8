/**
 * Which of a run's messages are sent, and where (a task's `delivery` policy, docs/agent-runs.md): the run's own
 * callback (every run, only changed outcomes, or only failures; never when the agent said it had nothing to
 * report), and an alert after N failed runs in a row with a recovery notice at the next success. Pure: the
 * workflow hands in the run and the task's earlier runs, and records what was decided on the run.
 */
import type { RunRecord, ScheduledTaskInput } from '../src/shared/task-types.js';

/** A run's place among the task's runs: what its context tells the agent, and what delivery compares with. */
export interface RunHistory {
  /** This run's number among the task's runs (1 for the first). */
  readonly number: number;
  /** Earlier runs that ended, the most recent first. */
  readonly previous: readonly RunRecord[];
  /** The task's next occurrence after this run, in epoch ms; null when none is planned. */
  readonly nextRunAtMs: number | null;
}

export interface DeliveryDecision {
  /** Send the run's callback here. */
  readonly url?: string;
  /** The callback is not sent: where it would have gone, and why. */
  readonly skipped?: { readonly url: string; readonly reason: string };
  /** Send this notice after the callback. */
  readonly notice?: { readonly event: 'alert' | 'recovery'; readonly url: string; readonly failures: number };
}

/** How many earlier runs delivery and the run context look at (an alert threshold is at most this). */
export const HISTORY_LIMIT = 50;

type DeliveryInput = Pick<ScheduledTaskInput, 'callbackUrl' | 'delivery'>;

/** Whether deciding needs the task's earlier runs. */
export function needsHistory(input: Pick<ScheduledTaskInput, 'delivery' | 'runContext' | 'budget'>): boolean {
  return (
    input.runContext !== undefined ||
    input.budget !== undefined ||
    input.delivery?.mode === 'on_change' ||
    input.delivery?.alertAfter !== undefined
  );
}

/** Runs that ended one way or the other: a cancelled or held run neither changes an outcome nor breaks a streak. */
const decided = (runs: readonly RunRecord[]) =>
  runs.filter((r) => r.status !== 'cancelled' && r.status !== 'held');

function sameOutcome(run: RunRecord, previous: RunRecord): boolean {
  if (run.status !== previous.status) return false;
  if (run.status === 'failed') return run.error === previous.error;
  return run.resultHash !== undefined && run.resultHash === previous.resultHash;
}

export function decideDelivery(
  run: RunRecord,
  input: DeliveryInput,
  history: RunHistory | undefined,
): DeliveryDecision {
  const policy = input.delivery;
  const failed = run.status === 'failed';
  const destination = (failed ? policy?.failureUrl : undefined) ?? input.callbackUrl;
  const earlier = decided(history?.previous ?? []);
  const decision: { -readonly [K in keyof DeliveryDecision]: DeliveryDecision[K] } = {};

  if (destination) {
    const previous = earlier[0];
    let reason: string | undefined;
    if (run.nothingToReport && !failed) reason = 'the agent had nothing to report';
    else if (policy?.mode === 'on_failure' && !failed) reason = 'delivery on_failure: the run succeeded';
    else if (policy?.mode === 'on_change' && previous && sameOutcome(run, previous)) {
      reason = `delivery on_change: the same ${failed ? 'error' : 'result'} as the previous run (${previous.executionId})`;
    }
    if (reason) decision.skipped = { url: destination, reason };
    else decision.url = destination;
  }

  const alertAfter = policy?.alertAfter;
  const noticeUrl = policy?.failureUrl ?? input.callbackUrl;
  if (alertAfter !== undefined && noticeUrl) {
    const streak: RunRecord[] = [];
    for (const previous of earlier) {
      if (previous.status !== 'failed') break;
      streak.push(previous);
    }
    const alerted = streak.some((r) => r.notice?.event === 'alert');
    // A streak that fills the whole history may have begun (and alerted) before it: no second alert.
    const wholeStreak = streak.length < HISTORY_LIMIT;
    if (failed && streak.length + 1 >= alertAfter && !alerted && wholeStreak) {
      decision.notice = { event: 'alert', url: noticeUrl, failures: streak.length + 1 };
    } else if (!failed && alerted) {
      decision.notice = { event: 'recovery', url: noticeUrl, failures: streak.length };
    }
  }
  return decision;
}
