/**
 * What every `pulse` command is built from: the handler's context (its option values, arguments, client and
 * output), the readers of option values, and `subcommand`, which gives each command Pulse's usage messages.
 */
import type { Command } from 'commander';
import type { PulseClient } from '../pulse-client.js';

/** Bad arguments that only a handler can see (a missing --when): exit 2, like commander's own usage errors. */
export class UsageError extends Error {}

/** Something named that does not exist where the CLI itself looks (a tenant of the tenants file): exit 3, like a 404. */
export class NotFoundHereError extends Error {}

/** Option values as commander hands them (camelCase names), the global ones included. */
export type Values = Record<string, unknown>;

export interface Context {
  readonly values: Values;
  /** The environment the CLI was given (`CliIo.env`), never `process.env` directly. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The command's positional arguments. */
  readonly args: readonly string[];
  readonly client: () => PulseClient;
  /** Prints `value` as JSON with `--json`, otherwise the human text. */
  readonly emit: (value: unknown, human: () => string) => void;
}

export type Handler = (ctx: Context) => Promise<number | void>;
export type Action = (handler: Handler) => (...params: unknown[]) => Promise<void>;

export const str = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

export const num = (values: Values, name: string): number | undefined => {
  const value = values[name];
  return typeof value === 'number' ? value : undefined;
};

/** The words that run `command`, e.g. `pulse schedule agent`. */
export function commandPath(command: Command): string {
  return command.parent ? `${commandPath(command.parent)} ${command.name()}` : command.name();
}

/** A subcommand whose usage errors read `pulse <command>: <what>` with a pointer to its help. */
export function subcommand(parent: Command, name: string, args: string, summary: string): Command {
  const command = parent.command(name).summary(summary).description(`${summary}.`);
  if (args) command.arguments(args);
  const path = commandPath(command);
  return command.usage(`${args} [options]`.trim()).configureOutput({
    outputError: (message, write) => {
      const text = message.trim().replace(/^error: /, '');
      write(`${path}: ${text.charAt(0).toUpperCase()}${text.slice(1)}\nRun '${path} --help' for usage.\n`);
    },
  });
}
