/**
 * The set-up most end-to-end files share: a dev server, a whole Pulse on it (worker and API on a fresh task queue),
 * and a receiver for callbacks and targets. `useStack()` registers the `beforeAll`/`afterAll` hooks and hands back
 * stand-ins that forward to the real objects once they exist, so a file reads `pulse.call(...)` as before.
 *
 * Tests that only wait on their own tasks run side by side in their file (`describe.concurrent`): each uses paths and
 * ids of its own, and takes `expect` from its context when it polls (`async ({ expect }) => …`; the file's global
 * `expect.poll` cannot tell concurrent tests apart). A test that reads everything the file's Pulse holds (a whole
 * listing, page by page) is `it.sequential`.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll } from 'vitest';
import type { ActivityDeps } from '../../activities/index.js';
import { startPulse, type PulseOverrides, type PulseUnderTest } from './pulse.js';
import { startReceiver, type Receiver } from './receiver.js';
import { createDevServerEnv } from './temporal.js';

export interface StackOptions {
  /** Settings and services the Pulse under test differs in; a function runs in `beforeAll`, first. */
  readonly pulse?: PulseOverrides | (() => Promise<PulseOverrides> | PulseOverrides);
  readonly activities?: Omit<ActivityDeps, 'executors' | 'logger' | 'metrics'>;
}

export interface TestStack {
  readonly env: TestWorkflowEnvironment;
  readonly pulse: PulseUnderTest;
  readonly receiver: Receiver;
}

/** A stand-in for an object made later: property reads go to the real one (methods bound to it). */
function later<T extends object>(name: string, get: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_target, property) {
      const real = get();
      if (!real) throw new Error(`${name} is not set up yet: use it inside a test or a later hook`);
      const value = Reflect.get(real, property, real) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(real) : value;
    },
  });
}

export function useStack(options: StackOptions = {}): TestStack {
  let env: TestWorkflowEnvironment | undefined;
  let pulse: PulseUnderTest | undefined;
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    const overrides = typeof options.pulse === 'function' ? await options.pulse() : (options.pulse ?? {});
    [env, receiver] = await Promise.all([createDevServerEnv(), startReceiver()]);
    pulse = await startPulse(env, overrides, undefined, options.activities);
  });
  afterAll(async () => {
    await pulse?.stop();
    await receiver?.close();
    await env?.teardown();
  });
  return {
    env: later('env', () => env),
    pulse: later('pulse', () => pulse),
    receiver: later('receiver', () => receiver),
  };
}
