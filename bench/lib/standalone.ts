/** Runs one benchmark file on its own: `tsx bench/<name>.ts [--scale=0.1]`. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readOptions } from './options.js';
import type { BenchmarkRun } from './report.js';

export function runIfMain(moduleUrl: string, run: BenchmarkRun): void {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  run(readOptions()).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
