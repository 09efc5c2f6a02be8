#!/usr/bin/env node
// The package's `pulse` bin. In the repository (`npx pulse`) it runs the TypeScript source through tsx, so no build
// is needed; an installed package has only the build in dist/.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const source = new URL('./cli.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../../dist/client/cli.js', import.meta.url).href);
}
