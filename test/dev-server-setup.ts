/**
 * `npm test`'s global set-up: one Temporal dev server for the whole run, with a pool of namespaces (each with
 * Pulse's search attributes), instead of a dev server per file. Each `createDevServerEnv()` claims a namespace of its
 * own (test/helpers/temporal.ts), so files see nothing of each other's tasks, schedules or visibility, as they did
 * with a server each; the run saves a server start per file (about 0.6 CPU s and a second or two) and its memory.
 *
 * Files that need a server to themselves (stopping it, its SQLite file) start one through `npm start` as before.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { devServerOptions, NAMESPACE_POOL_SIZE, poolNamespace } from './helpers/temporal.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const namespaces = Array.from({ length: NAMESPACE_POOL_SIZE }, (_, i) => poolNamespace(i));
  const options = devServerOptions(namespaces.flatMap((namespace) => ['--namespace', namespace]));
  const env = await TestWorkflowEnvironment.createLocal(options);
  const claims = mkdtempSync(path.join(os.tmpdir(), 'pulse-test-namespaces-'));
  project.provide('pulseDevServer', { address: env.address, claims });
  return async () => {
    await env.teardown();
    rmSync(claims, { recursive: true, force: true });
  };
}
