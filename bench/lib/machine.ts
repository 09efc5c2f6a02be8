/** What the numbers were measured on, recorded with every result. */
import os from 'node:os';
import { loadAverage } from './proc.js';
import { temporalCliVersion } from './temporal-server.js';

export interface MachineInfo {
  readonly nproc: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly temporalCli: string;
  readonly kernel: string;
  readonly loadAverage1m: number;
}

let cliVersion: string | undefined;

export function machineInfo(): MachineInfo {
  cliVersion ??= temporalCliVersion();
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    temporalCli: cliVersion,
    kernel: `${os.type()} ${os.release()}`,
    loadAverage1m: loadAverage(),
  };
}
