#!/usr/bin/env node
// The package's `pulse` bin. In the repository (`npx pulse`, linked by the npm workspace) it runs the CLI's
// TypeScript source, bundled on first use by scripts/run-bundled.mjs, so no build is needed; an installed package
// has only its build in dist/.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const source = new URL('../../../src/client/cli.ts', import.meta.url);
const launcher = new URL('../../../scripts/run-bundled.mjs', import.meta.url);
const inRepository = fileURLToPath(import.meta.url).endsWith('/packages/client/bin/pulse.js');
if (inRepository && existsSync(source) && existsSync(launcher)) {
  const { runBundled } = await import(launcher.href);
  await runBundled(fileURLToPath(source), process.argv.slice(2));
} else {
  await import(new URL('../dist/client/cli.js', import.meta.url).href);
}
