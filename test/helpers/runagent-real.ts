/**
 * The real `runagent serve` (PyPI `runagent`, the pinned version `npm test` provisions) serving the agent in
 * test/fixtures/runagent-agent (or another folder) on 127.0.0.1. The agent is copied to a temporary folder and registered in a
 * temporary RunAgent home, so a run touches neither the repository nor the user's `~/.runagent`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { RUNAGENT_CLI, defaultVenvDir, provisionVenvTool } from '../../src/temporal/binaries.js';

const FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'runagent-agent');

export interface Invocation {
  readonly entrypoint_tag: string;
  readonly input_data: { readonly input_args: unknown[]; readonly input_kwargs: Record<string, unknown> };
  readonly status: string;
}

export interface RealRunAgent {
  /** Base URL, e.g. `http://127.0.0.1:8451`. */
  readonly url: string;
  readonly port: number;
  /** The served agent's id (its runagent.config.json). */
  readonly agentId: string;
  /** The runs the server recorded (its `/invocations` endpoint), newest first. */
  invocations(): Promise<Invocation[]>;
  /** What the server printed so far, for a failing test's message. */
  output(): string;
  close(): Promise<void>;
}

function runagentBinary(): string {
  const tool = provisionVenvTool(RUNAGENT_CLI, {
    installDir: defaultVenvDir(PROJECT_ROOT, RUNAGENT_CLI),
    log: (line) => console.log(line),
  });
  if (!tool) throw new Error(`cannot provision ${RUNAGENT_CLI.requirement}: run \`npm run provision\``);
  return tool.path;
}

/** The environment of every runagent command: a private home, no API key (so no sync to the cloud), plain output. */
function runagentEnv(root: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('RUNAGENT_')));
  return {
    ...env,
    HOME: path.join(root, 'home'),
    RUNAGENT_CACHE_DIR: path.join(root, 'cache'),
    NO_COLOR: '1',
    TERM: 'dumb',
    COLUMNS: '200',
    PYTHONUNBUFFERED: '1',
  };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output}`)),
    );
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => signalGroup(child, 'SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    signalGroup(child, 'SIGTERM');
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/**
 * Registers an agent folder (the test fixture unless told, e.g. the sample in examples/agents/served) and serves it;
 * resolves once `/api/v1/health` answers.
 */
export async function startRealRunAgent(folder = FIXTURE): Promise<RealRunAgent> {
  const runagent = runagentBinary();
  const root = mkdtempSync(path.join(os.tmpdir(), 'pulse-runagent-'));
  const agentDir = path.join(root, 'agent');
  cpSync(folder, agentDir, { recursive: true });
  mkdirSync(path.join(root, 'home'));
  const env = runagentEnv(root);
  const { agent_id: agentId } = JSON.parse(
    readFileSync(path.join(agentDir, 'runagent.config.json'), 'utf8'),
  ) as { agent_id: string };

  await run(runagent, ['config', '--register-agent', agentDir], env);
  try {
    // runagent picks a free port itself; another process can take it before uvicorn binds, so try again then.
    for (let attempt = 1; ; attempt++) {
      try {
        return await serve(runagent, agentDir, root, env, agentId);
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

async function serve(
  runagent: string,
  agentDir: string,
  root: string,
  env: NodeJS.ProcessEnv,
  agentId: string,
): Promise<RealRunAgent> {
  // No --port: runagent allocates a free one from its own (private) database and prints it.
  const child = spawn(runagent, ['serve', '--no-animation', agentDir], {
    env,
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so the stop reaches uvicorn and anything the agent started.
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const close = async () => {
    await stop(child);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`runagent serve exited ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('runagent serve did not become healthy within 60 s');
      const url = /URL: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      const healthy =
        url !== undefined &&
        (await fetch(`${url}/api/v1/health`).then(
          (r) => r.ok,
          () => false,
        ));
      if (url && healthy) {
        const invocations = async () => {
          const response = await fetch(`${url}/api/v1/agents/${agentId}/invocations?limit=1000`);
          return ((await response.json()) as { invocations: Invocation[] }).invocations;
        };
        return { url, port: Number(new URL(url).port), agentId, invocations, output: () => output, close };
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (err) {
    await stop(child);
    throw new Error(`${(err as Error).message}\n${output.slice(-3000)}`);
  }
}
