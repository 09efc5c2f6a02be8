/**
 * Test files in the order that finishes the suite soonest: the longest first, so none of them starts last and
 * becomes the tail. Vitest orders by the durations of the previous run, but a fresh clone (CI) has none and falls
 * back to file size, which put `docs.e2e` (one small file, a minute and a half) at the end. These are the files
 * measured longest (each mostly waits on real time or real processes); every other file follows in Vitest's order.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const LONGEST_FIRST = [
  'test/recurring.e2e.test.ts',
  'test/ledger.e2e.test.ts',
  'test/missed-policy.e2e.test.ts',
  'test/restart.e2e.test.ts',
  'test/docs.e2e.test.ts',
  'test/agent-executors.e2e.test.ts',
  'test/dashboard.e2e.test.ts',
  'test/restart-orphans.e2e.test.ts',
  'test/agent-runs.e2e.test.ts',
  'test/run-slots.e2e.test.ts',
];

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = LONGEST_FIRST.findIndex((file) => spec.moduleId.endsWith(file));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    // Array.prototype.sort is stable: the rest keep Vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
