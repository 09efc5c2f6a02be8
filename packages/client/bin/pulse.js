#!/usr/bin/env node
// The package's `pulse` bin. In the repository (`npx pulse`, linked by the npm workspace) it runs the CLI's
// TypeScript source through tsx, so no build is needed; an installed package has only its build in dist/.
import { existsSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';

const source = new URL('../../../src/client/cli.ts', import.meta.url);
const inRepository = fileURLToPath(import.meta.url).endsWith('/packages/client/bin/pulse.js');
if (inRepository && existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/client/cli.js', import.meta.url).href);
}
