import { checkBudget as decide, type BudgetQuestion } from '../src/budget/budget-period.js';
import type { BudgetCheck } from '../src/shared/task-types.js';

/** Before a run of a task with a budget: its period, what was spent in it, and whether to hold the run. */
export function createCheckBudget() {
  return async function checkBudget(question: BudgetQuestion): Promise<BudgetCheck> {
    return decide(question);
  };
}
