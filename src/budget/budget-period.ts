/**
 * A task's budget before a run (`budget`, docs/agent-runs.md): which calendar period it is in the budget's time zone,
 * what was spent in it, and whether the run would exceed the limit. Days and months begin at local midnight, as
 * `temporal-polyfill`'s ZonedDateTime computes them (so a DST day is 23 or 25 hours long).
 */
import { Temporal } from 'temporal-polyfill';
import type { BudgetCheck, BudgetPolicy, Spend, Usage } from '../shared/task-types.js';

export interface BudgetQuestion {
  readonly budget: BudgetPolicy;
  /** The run's time (the workflow's clock). */
  readonly nowMs: number;
  /** What the task had spent up to its latest run that recorded it. */
  readonly last?: Spend;
  /** What a run is expected to use (the mean of recent runs). */
  readonly estimate: Usage;
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

export function checkBudget({ budget, nowMs, last, estimate }: BudgetQuestion): BudgetCheck {
  const timeZone = budget.timeZone;
  const today = Temporal.Instant.fromEpochMilliseconds(nowMs).toZonedDateTimeISO(timeZone).toPlainDate();
  const start = budget.period === 'day' ? today : today.with({ day: 1 });
  const next = start.add(budget.period === 'day' ? { days: 1 } : { months: 1 });
  const period = budget.period === 'day' ? start.toString() : start.toString().slice(0, 7);
  const nextStart = next.toZonedDateTime({ timeZone });
  const spent: Spend = last?.period === period ? last : { period, tokens: 0, cost: 0 };

  const over: string[] = [];
  const limit = (name: 'tokens' | 'cost', max: number | undefined) => {
    if (max === undefined) return;
    const used = spent[name];
    const expected = estimate[name] ?? 0;
    if (used >= max) over.push(`${round(used)} of ${max} ${name} spent`);
    else if (used + expected > max) {
      over.push(`${round(used)} of ${max} ${name} spent and a run uses about ${round(expected)}`);
    }
  };
  limit('tokens', budget.tokens);
  limit('cost', budget.cost);
  return {
    period,
    periodEndMs: nextStart.epochMilliseconds,
    spent,
    ...(over.length > 0
      ? {
          held: `budget: ${over.join(', ')} in ${period} (${timeZone}); runs again from ${nextStart.toString({ timeZoneName: 'never' })}`,
        }
      : {}),
  };
}
