/** The lint rule that keeps workflow code deterministic is in force (it runs on `workflows/**`). */
import { ESLint } from 'eslint';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/project-root.js';

const eslint = new ESLint({ cwd: PROJECT_ROOT });
const workflowFile = path.join(PROJECT_ROOT, 'workflows', 'lint-probe.ts');

async function problems(code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: workflowFile });
  return result!.messages.map((m) => m.message);
}

describe('workflow lint', () => {
  it('rejects Node modules, activity implementations, I/O code and worker packages in workflows', async () => {
    const found = await problems(
      [
        "import fs from 'node:fs';",
        "import http from 'http';",
        "import { createActivities } from '../activities/index.js';",
        "import { httpCall } from '../src/executors/http-call.js';",
        "import { Worker } from '@temporalio/worker';",
        'export const all = [fs, http, createActivities, httpCall, Worker];',
      ].join('\n'),
    );
    expect(found).toHaveLength(5);
    expect(found.join('\n')).toMatch(/must not import Node modules/);
    expect(found.join('\n')).toMatch(/only with `import type`/);
  });

  it('allows type-only activity imports and Node-free shared code', async () => {
    const found = await problems(
      [
        "import type { createActivities } from '../activities/index.js';",
        "import { FailureType } from '../src/shared/failure-types.js';",
        "import { sleep } from '@temporalio/workflow';",
        'export type A = ReturnType<typeof createActivities>;',
        'export const x = [FailureType, sleep];',
      ].join('\n'),
    );
    expect(found).toEqual([]);
  });
});
