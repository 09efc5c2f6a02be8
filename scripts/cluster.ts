/**
 * `npm run cluster -- up|down|status|build`: Pulse in its production shape on this machine, without Docker.
 * PostgreSQL, the Temporal server and Web UI built from the Go module proxy, N workers and the API as separate
 * processes; see docs/deployment.md. The logic lives in scripts/cluster/ for tests and benchmarks to call.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { createCluster } from './cluster/cluster.js';
import type { ClusterOverrides } from './cluster/options.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new InvalidArgumentError('not a TCP port');
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('not a count');
  return n;
}

interface Flags {
  workers?: number;
  frontendPort?: number;
  uiPort?: number;
  pgPort?: number;
  apiPort?: number;
  dir?: string;
  ui?: boolean;
}

function overrides(flags: Flags): ClusterOverrides {
  return {
    ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
    ...(flags.dir !== undefined ? { dir: flags.dir } : {}),
    ...(flags.ui === false ? { ui: false } : {}),
    ports: {
      ...(flags.frontendPort !== undefined ? { frontend: flags.frontendPort } : {}),
      ...(flags.uiPort !== undefined ? { ui: flags.uiPort } : {}),
      ...(flags.pgPort !== undefined ? { postgres: flags.pgPort } : {}),
      ...(flags.apiPort !== undefined ? { api: flags.apiPort } : {}),
    },
  };
}

const program = new Command('cluster')
  .description('Pulse on PostgreSQL + a real Temporal server, without Docker (docs/deployment.md)')
  .addOption(
    new Option('--workers <n>', 'Pulse worker processes (env PULSE_CLUSTER_WORKERS, default 2)').argParser(
      count,
    ),
  )
  .addOption(
    new Option(
      '--frontend-port <port>',
      'Temporal frontend gRPC (PULSE_CLUSTER_FRONTEND_PORT, 7243)',
    ).argParser(port),
  )
  .addOption(new Option('--ui-port <port>', 'Temporal Web UI (PULSE_CLUSTER_UI_PORT, 8243)').argParser(port))
  .addOption(new Option('--pg-port <port>', 'PostgreSQL (PULSE_CLUSTER_PG_PORT, 5433)').argParser(port))
  .addOption(new Option('--api-port <port>', 'Pulse API (PULSE_CLUSTER_API_PORT, 8010)').argParser(port))
  .option('--dir <path>', 'state folder (PULSE_CLUSTER_DIR, .cluster)')
  .option('--no-ui', 'without the Web UI (PULSE_CLUSTER_UI=false)')
  .showHelpAfterError();

program
  .command('up')
  .description('build if needed, then start everything; what already runs is kept')
  .action(() => createCluster(overrides(program.opts<Flags>())).up());
program
  .command('down')
  .description('stop API, workers, UI, server, postgres, in that order')
  .action(() => createCluster(overrides(program.opts<Flags>())).down());
program
  .command('status')
  .description('what runs, with pids and logs')
  .action(() => {
    const cluster = createCluster(overrides(program.opts<Flags>()));
    for (const item of cluster.status()) {
      const state = item.state === 'running' ? `running${item.pid ? ` pid ${item.pid}` : ''}` : 'stopped';
      console.log(`${item.name.padEnd(16)} ${state.padEnd(20)} ${item.since ?? ''} ${item.log}`);
    }
    console.log(`API ${cluster.apiUrl}   Web UI ${cluster.uiUrl}   Temporal ${cluster.address}`);
    process.exitCode = cluster.status().every((item) => item.state === 'running') ? 0 : 3;
  });
program
  .command('build')
  .description('build the Temporal server, SQL tool and ui-server from the Go module proxy (cached)')
  .option('--force', 'rebuild even if the cached binaries match the pinned versions')
  .action(async (flags: { force?: boolean }) => {
    const binaries = await createCluster(overrides(program.opts<Flags>())).build(flags.force ?? false);
    console.log(`[cluster] binaries: ${Object.values(binaries).join(', ')}`);
  });

try {
  await program.parseAsync();
} catch (err) {
  console.error(`[cluster] ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
