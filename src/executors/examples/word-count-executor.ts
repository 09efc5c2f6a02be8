/**
 * Example of a custom executor: counts the words of `payload.params.text`. A real one would call an API or run a
 * model; the shape is the same. Register it with `executors.register(createWordCountExecutor())`.
 */
import type { FieldError } from '../../errors.js';
import type { ExecutionRequest } from '../../shared/task-types.js';
import type { Executor, ExecutionContext, TaskParams } from '../executor.js';

/** Counts words in `params.text`; tasks select it with `executor_type: "word-count"`. */
export function createWordCountExecutor(): Executor {
  return {
    name: 'word-count',
    description: 'Example custom executor: counts the words of params.text.',
    isAvailable: () => ({ available: true }),
    validateParams(task: TaskParams): FieldError[] {
      const params = task.payload.params as { text?: unknown } | undefined;
      return typeof params?.text === 'string'
        ? []
        : [{ field: 'payload.params.text', message: 'must be a string' }];
    },
    async execute(request: ExecutionRequest, context: ExecutionContext): Promise<unknown> {
      context.heartbeat('counting');
      const text = (request.payload.params as { text: string }).text;
      return { words: text.split(/\s+/).filter(Boolean).length };
    },
  };
}
