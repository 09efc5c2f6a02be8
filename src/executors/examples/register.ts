/** Example `PULSE_EXECUTORS_MODULE`: `PULSE_EXECUTORS_MODULE=./src/executors/examples/register.ts npm start`. */
import type { ExecutorFactory } from '../executor-factory.js';
import { createWordCountExecutor } from './word-count-executor.js';

export function register(executors: ExecutorFactory): void {
  executors.register(createWordCountExecutor());
}
