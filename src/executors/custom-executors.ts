import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExecutorFactory } from './executor-factory.js';
import { importUserModule } from './import-user-module.js';

/**
 * Loads `PULSE_EXECUTORS_MODULE` (a path or package name) and calls its `register(executors)`, so a deployment adds
 * its own executors without editing Pulse. API and workers must load the same module.
 */
export async function registerCustomExecutors(specifier: string, executors: ExecutorFactory): Promise<void> {
  const isPath = specifier.startsWith('.') || path.isAbsolute(specifier);
  const module = (await importUserModule(
    isPath ? pathToFileURL(path.resolve(specifier)).href : specifier,
  )) as {
    register?: (factory: ExecutorFactory) => unknown;
  };
  if (typeof module.register !== 'function') {
    throw new Error(`PULSE_EXECUTORS_MODULE=${specifier} must export a function register(executors)`);
  }
  await module.register(executors);
}
