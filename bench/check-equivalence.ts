/**
 * Checks that the `direct` side starts `scheduledTask` with exactly the input Pulse's API builds for the same
 * request, so that `pulse` vs `direct` isolates the HTTP API. Run by `run-all.ts`; also `tsx bench/check-equivalence.ts`.
 */
import { isDeepStrictEqual } from 'node:util';
import { ScheduleTaskRequest } from '../src/api/schemas.js';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { buildTask } from '../src/tasks/build-task.js';
import { benchDestinationGuard } from './lib/guard.js';
import { createInstantExecutor } from './lib/instant-executor.js';
import type { CallbackReceiver } from './lib/receiver.js';
import { directInput, scheduleRequestBody, type TaskKind } from './lib/stack.js';

/** Returns a description of each difference; empty when the inputs are the same. */
export function checkDirectInputs(): string[] {
  const receiver = {
    callbackUrl: 'http://127.0.0.1:1234/callback',
    targetUrl: 'http://127.0.0.1:1234/target',
  } as CallbackReceiver;
  const executors = createExecutorFactory({ guard: benchDestinationGuard() }).register(
    createInstantExecutor(),
  );
  const now = new Date();
  const problems: string[] = [];
  for (const kind of ['instant', 'http'] as TaskKind[]) {
    const task = { dueAtMs: now.getTime() + 60_000, kind };
    const body = ScheduleTaskRequest.parse(scheduleRequestBody(task, receiver));
    const built = buildTask(body, { executors, now, defaultTimezone: 'UTC', taskId: 'task_x' });
    const direct = directInput('task_x', task, receiver);
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(built.input)), JSON.parse(JSON.stringify(direct)))) {
      problems.push(
        `${kind}: API builds ${JSON.stringify(built.input)}, direct sends ${JSON.stringify(direct)}`,
      );
    }
  }
  return problems;
}

if (process.argv[1]?.endsWith('check-equivalence.ts')) {
  const problems = checkDirectInputs();
  console.log(problems.length === 0 ? 'direct inputs match the API' : problems.join('\n'));
  process.exitCode = problems.length === 0 ? 0 : 1;
}
