/**
 * Histories recorded by earlier versions of the `scheduledTask` workflow replay with the current one, without a
 * server: version 1 (every step published), version 2 (the quiet start) and version 3 (writes only at the close),
 * each through run timers, callback first attempts, pause, amend, trigger, external claims, cancels mid-run and a
 * Schedule's run. `record.ts` beside the fixtures
 * recorded them; a nondeterminism error here means a change would break tasks already running.
 */
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workflowCode } from '../src/temporal/worker.js';

const HISTORIES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'histories');

function histories(version: string) {
  const folder = path.join(HISTORIES, version);
  return readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      workflowId: `${version}/${file}`,
      // Stored with the proto package's own toObject (the SDK's historyFromJSON trips over the two copies of
      // protobufjs that npm installs side by side here).
      history: proto.temporal.api.history.v1.History.fromObject(
        JSON.parse(readFileSync(path.join(folder, file), 'utf8')),
      ),
    }));
}

describe('replay of recorded histories', () => {
  it.each(['v1', 'v2', 'v3'])('every %s history replays without a nondeterminism error', async (version) => {
    const recorded = histories(version);
    expect(recorded.length).toBeGreaterThanOrEqual(version === 'v1' ? 3 : 11);
    const results = [];
    for await (const result of Worker.runReplayHistories(await workflowCode(), recorded)) {
      results.push(result);
    }
    const failures = results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error?.message}`);
    expect(failures).toEqual([]);
    expect(results).toHaveLength(recorded.length);
  });
});
