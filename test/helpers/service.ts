/** The whole service as `npm start` runs it, in a child process, for tests that need the real entry point. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { claimInRun } from './run-claims.js';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
/**
 * Ports a test hands to a service it starts later are taken below the kernel's ephemeral range (32768-60999 on
 * Linux): a port from that range, free when asked, can meanwhile become the local end of any outgoing connection
 * on the machine, and the service's start then fails with "address already in use" (seen in a loaded run).
 */
const LOW = 20_000;
const HIGH = 32_767;
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (handedOut.has(port)) continue;
    // Claimed for the whole run across test processes: a service a test stops and starts again on the same ports
    // leaves them free meanwhile, and another file's freePort could pick one (seen once with eight files at a time).
    if ((await canListen(port)) && claimInRun(`ports/${port}`) !== false) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} after 200 tries`);
}

/**
 * The environment of a service started as `npm start` starts it on `dir`, on free ports, with the receiver's
 * 127.0.0.1 allowed by the SSRF guard; and its API's URL.
 */
export async function serviceEnv(dir: string) {
  const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
  const env = {
    PORT: String(ports.api),
    HOST: '127.0.0.1',
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    PULSE_DATA_DIR: dir,
    TEMPORAL_ADDRESS: '',
    PULSE_API_KEY: '',
    PULSE_ALLOW_PRIVATE_NETWORKS: 'true',
    // The worker's metrics port is shared by default; a second Pulse on the machine skips it, which is fine here.
  };
  return { ports, env, api: `http://127.0.0.1:${ports.api}` };
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything it printed, stdout and stderr interleaved. */
  readonly output: string[];
}

export interface StartOptions {
  /** Its own process group, as a shell's job is, so a test can signal the whole group. */
  readonly detached?: boolean;
}

function spawnService(env: NodeJS.ProcessEnv, options: StartOptions): ChildProcess {
  // What `npm start` runs, without npm: node on the bundled entry point, in this one process, so signals reach Pulse
  // itself.
  return spawn(process.execPath, ['scripts/run-bundled.mjs', 'scripts/start.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
}

/** Runs `scripts/start.ts` (what `npm start` runs) with `env` over the test's own, until it prints `[pulse] ready`. */
export function startService(env: NodeJS.ProcessEnv, options: StartOptions = {}): Promise<ServiceProcess> {
  const child = spawnService(env, options);
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`service not ready in 90 s:\n${output.join('')}`)),
      90_000,
    );
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      if (output.join('').includes('[pulse] ready')) {
        clearTimeout(timer);
        resolve({ child, output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before it was ready:\n${output.join('')}`));
    });
  });
}

/** SIGINT, as an operator would; resolves with the exit code once the service has shut down in order. */
export async function stopService(service: ServiceProcess): Promise<number | null> {
  if (service.child.exitCode !== null) return service.child.exitCode;
  const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
  service.child.kill('SIGINT');
  return exited;
}

/** Runs `scripts/start.ts` until it exits by itself (a start that must fail); its exit code and output. */
export function runServiceToExit(
  env: NodeJS.ProcessEnv,
  timeoutMs = 90_000,
): Promise<{ code: number | null; output: string }> {
  // Its own group, so a start that wrongly succeeds can be taken down whole.
  const child = spawnService(env, { detached: true });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`service still running after ${timeoutMs} ms:\n${output.join('')}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.join('') });
    });
  });
}

/** SIGKILL to the service's whole process group (it must have been started detached); resolves once it is gone. */
export async function killServiceGroup(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => service.child.once('exit', () => resolve()));
  process.kill(-service.child.pid!, 'SIGKILL');
  await exited;
}
