/**
 * A task's spend as its runs record it (`budget`): each run keeps what the task spent in the period up to and
 * including it, so the next run reads one record, not every run of the period. Pure.
 */
import type { BudgetCheck, RunRecord, Spend, Usage } from '../src/shared/task-types.js';

/** Runs the estimate of the next run's usage is the mean of. */
const ESTIMATE_RUNS = 10;

/** What the task had spent up to its latest run that recorded it (earlier runs most recent first). */
export function lastSpend(previous: readonly RunRecord[]): Spend | undefined {
  return previous.find((run) => run.spend)?.spend;
}

/** What a run is expected to use: the mean of the latest runs that reported usage. */
export function estimateUsage(previous: readonly RunRecord[]): Usage {
  const reported = previous.filter((run) => run.usage).slice(0, ESTIMATE_RUNS);
  const mean = (name: keyof Usage) => {
    const values = reported.map((run) => run.usage![name]).filter((v): v is number => v !== undefined);
    return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
  };
  const tokens = mean('tokens');
  const cost = mean('cost');
  return { ...(tokens !== undefined ? { tokens } : {}), ...(cost !== undefined ? { cost } : {}) };
}

/** The task's spend in the period after a run that used `usage`. */
export function spendAfter(check: BudgetCheck, usage: Usage | undefined): Spend {
  return {
    period: check.period,
    tokens: check.spent.tokens + (usage?.tokens ?? 0),
    cost: check.spent.cost + (usage?.cost ?? 0),
  };
}
