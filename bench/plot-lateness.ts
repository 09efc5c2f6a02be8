/**
 * Redraws `lateness.png` from a saved `lateness.json` (its samples), without running the benchmark again.
 *
 *   npx tsx bench/plot-lateness.ts [bench/results/<label>/lateness.json]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { plotLateness, type LatenessSamples } from './fire-lateness.js';
import { RESULTS_DIR } from './lib/report.js';

const source = process.argv[2] ?? path.join(RESULTS_DIR, 'lateness.json');
const saved = JSON.parse(readFileSync(source, 'utf8')) as { results: { samples: LatenessSamples } };
const target = path.join(path.dirname(source), 'lateness.png');
plotLateness(target, saved.results.samples);
console.log(`drew ${target}`);
