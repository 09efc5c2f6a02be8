import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { followLog } from '../src/temporal/log-follower.js';

function newLog(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'pulse-log-')), 'temporal.log');
  writeFileSync(file, '');
  return file;
}

describe('followLog', () => {
  it('relays whole lines as they are appended, and holds a half-written one until its newline', async () => {
    const file = newLog();
    const lines: string[] = [];
    const follower = followLog(file, (line) => lines.push(line));
    appendFileSync(file, 'first\nsecond\nthi');
    await expect.poll(() => lines, { timeout: 3000 }).toEqual(['first', 'second']);
    appendFileSync(file, 'rd\n\n');
    await expect.poll(() => lines, { timeout: 3000 }).toEqual(['first', 'second', 'third']);
    follower.stop();
  });

  it('keeps a character whose bytes arrive in two reads whole, and stop() flushes the unfinished last line', async () => {
    const file = newLog();
    const lines: string[] = [];
    const follower = followLog(file, (line) => lines.push(line));
    const bytes = Buffer.from('zürich ✓\nlast words', 'utf8');
    appendFileSync(file, bytes.subarray(0, 2));
    // At least one poll reads the first half of 'ü' alone.
    await new Promise((resolve) => setTimeout(resolve, 400));
    appendFileSync(file, bytes.subarray(2));
    follower.stop();
    expect(lines).toEqual(['zürich ✓', 'last words']);
    // Stopped: nothing more is relayed.
    appendFileSync(file, 'after\n');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(lines).toHaveLength(2);
  });
});
