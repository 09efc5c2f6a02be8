/**
 * The shell examples of the README and docs/, as a user would run them: every ```sh block, in order, in one bash
 * per page (so a `task=$(…)` in one block serves the next), against a live Pulse. A `# → text` line in a block
 * says what its output must contain. A block fenced ```sh norun is not run (starting a second service, Docker):
 * `NOT_RUN` in test/docs.e2e.test.ts names each one and why.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ShellBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  readonly run: boolean;
  /** The `# → …` lines: text the block's output must contain. */
  readonly expects: readonly string[];
}

export interface BlockOutcome {
  readonly block: ShellBlock;
  readonly output: string;
  /** Why it failed: a command's exit status, a timeout, or expected text missing. */
  readonly problems: readonly string[];
}

const FENCE = /^```([\w-]*)([^\n]*)\n([\s\S]*?)^```\s*$/gm;

export function shellBlocks(file: string, text = readFileSync(file, 'utf8')): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  for (const match of text.matchAll(FENCE)) {
    const [, lang, info, code] = match;
    if (lang !== 'sh' && lang !== 'bash' && lang !== 'shell') continue;
    const line = text.slice(0, match.index).split('\n').length;
    const expects = [...code!.matchAll(/^# → (.+)$/gm)].map((m) => m[1]!.trim());
    blocks.push({ file, line, code: code!, run: !/\bnorun\b/.test(info!), expects });
  }
  return blocks;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Rewrites a block before it runs (the documented ports to the live instance's). */
  readonly rewrite: (code: string) => string;
  readonly blockTimeoutMs?: number;
}

const HTTP_MARK = '@@http';
const HTTP_MARKS = /@@http \d{3}@@\n?/g;

/**
 * An HTTP error answer is a failed example, unless the example shows it on purpose: a `# →` line of the block is in
 * what that curl printed (its answer comes before its status mark).
 */
function httpProblems(output: string, expects: readonly string[]): string[] {
  const problems: string[] = [];
  let from = 0;
  for (const mark of output.matchAll(/@@http (\d{3})@@/g)) {
    const status = Number(mark[1]);
    const answer = output.slice(from, mark.index);
    from = mark.index + mark[0].length;
    if (status >= 400 && !expects.some((expected) => answer.includes(expected))) {
      problems.push(`an HTTP ${status} answer: ${answer.trim().split('\n').pop()!.slice(0, 300)}`);
    }
  }
  return problems;
}

/** Runs one page's blocks in one bash, stopping at the first block that fails; kills what they left running. */
export async function runBlocks(blocks: readonly ShellBlock[], options: RunOptions): Promise<BlockOutcome[]> {
  const bash = spawn('bash', ['--noprofile', '--norc'], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let buffer = '';
  const onData = (chunk: Buffer) => (buffer += chunk.toString('utf8'));
  bash.stdout.on('data', onData);
  bash.stderr.on('data', onData);
  let exited = false;
  bash.once('exit', () => (exited = true));
  // Every command must succeed, as a reader expects of a printed example (`|| …` marks an expected failure).
  bash.stdin.write('set -eo pipefail\nexec 2>&1\n');
  // And every HTTP answer: `curl -s` exits 0 on a 422, so each curl also reports its status (on stderr, after the
  // body; an example's own `-w` comes later on the line and wins, and then it checks the status itself).
  bash.stdin.write(`curl() { command curl -w '%{stderr}${HTTP_MARK} %{http_code}@@\\n' "$@"; }\n`);
  const outcomes: BlockOutcome[] = [];
  try {
    for (const [index, block] of blocks.entries()) {
      const marker = `@@block-${index}-done@@`;
      const start = buffer.length;
      bash.stdin.write(`${options.rewrite(block.code)}\necho ${marker}\n`);
      const deadline = Date.now() + (options.blockTimeoutMs ?? 90_000);
      while (!buffer.includes(marker, start) && !exited && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const done = buffer.includes(marker, start);
      const raw = buffer.slice(start).replace(`${marker}\n`, '').replace(marker, '');
      const problems: string[] = [...httpProblems(raw, block.expects)];
      const output = raw.replace(HTTP_MARKS, '');
      if (!done) problems.push(exited ? 'a command failed (the shell exited)' : 'timed out');
      for (const expected of block.expects) {
        if (!output.includes(expected)) problems.push(`output lacks: ${expected}`);
      }
      outcomes.push({ block, output, problems });
      if (!done) break;
    }
  } finally {
    try {
      process.kill(-bash.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return outcomes;
}
