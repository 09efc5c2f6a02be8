/**
 * Who a pid is, provably: a pid alone names a different process once it is reused (and after a reboot, pids start
 * over), so Pulse records a pid together with the boot it belongs to and its start time in clock ticks since that
 * boot. The pair is unique for the life of the machine; a process matches a stamp only if it is the very same one.
 *
 * Linux only (read from /proc, no child processes). Elsewhere `readProcess` answers undefined, which callers treat
 * as "cannot prove anything": they then never signal the process.
 */
import { readFileSync } from 'node:fs';

export interface ProcessStamp {
  readonly pid: number;
  /** `<boot id>/<start time in clock ticks since boot>`. */
  readonly start: string;
}

export interface ProcessInfo {
  readonly stamp: ProcessStamp;
  readonly argv: readonly string[];
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The live process behind `pid` (a zombie counts as gone), or undefined when there is none or no /proc. */
export function readProcess(pid: number): ProcessInfo | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const boot = bootId();
  if (!boot) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [state] = fields;
    // Field 22 (starttime); `fields` begins at field 3.
    const startTicks = fields[19];
    if (!startTicks || state === 'Z' || state === 'X') return undefined;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv.at(-1) === '') argv.pop();
    return { stamp: { pid, start: `${boot}/${startTicks}` }, argv };
  } catch {
    return undefined;
  }
}

/** The stamp of a live process, or undefined. */
export function stampOf(pid: number): ProcessStamp | undefined {
  return readProcess(pid)?.stamp;
}

/** The process behind `stamp` if it is still the same, alive one. */
export function sameProcess(stamp: ProcessStamp): ProcessInfo | undefined {
  const info = readProcess(stamp.pid);
  return info && info.stamp.start === stamp.start ? info : undefined;
}
