/**
 * The `pulse` command line on top of `PulseClient`: commander parses the arguments, dispatches to one handler per
 * command and writes the help; this file assembles the program, gives each handler its context and adds Pulse's
 * exit codes and messages. The commands themselves are in `cli/`. `runCli` takes its environment and output
 * streams as arguments, so it reads no global state; `cli.ts` is the executable that hands it the process's.
 */
import { Command, CommanderError } from 'commander';
import { addCalendarCommand } from './cli/calendar-command.js';
import {
  NotFoundHereError,
  UsageError,
  commandPath,
  str,
  type Action,
  type Context,
  type Values,
} from './cli/command.js';
import { EXIT_HELP, ExitCode, reportError } from './cli/exit-codes.js';
import { addInspectCommands } from './cli/inspect-commands.js';
import { addScheduleCommands } from './cli/schedule-commands.js';
import { addTaskCommands } from './cli/task-commands.js';
import { addTenantsCommand } from './cli/tenants-command.js';
import { discoveredKey, staleMessage, type Discovery } from './discovery.js';
import { PulseApiError } from './errors.js';
import { PulseClient, type FetchLike } from './pulse-client.js';

export { ExitCode } from './cli/exit-codes.js';

export const DEFAULT_URL = 'http://localhost:8000';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly fetch?: FetchLike;
  /**
   * The running `npm start` service (`.pulse-data/service.json`), asked only when neither `--url` nor `PULSE_URL`
   * names a server. Absent: no discovery, `DEFAULT_URL`.
   */
  readonly discover?: () => Discovery;
}

const EXAMPLES = [
  'Examples:',
  '  pulse preview "every weekday at 9am" --timezone Europe/Berlin',
  '  pulse schedule http https://example.com/hook --when "in 5 minutes" --body \'{"hello":"world"}\'',
  '  pulse schedule agent my-agent main --param topic=tides --when "daily at 9am" --callback https://example.com/cb',
  '  pulse list --status active --json',
  '  pulse calendar --week --timezone Europe/Berlin',
].join('\n');

/** The whole `pulse` program; `action` turns a handler into the commander action that runs it. */
function createProgram(io: CliIo, action: Action): Command {
  const program = new Command('pulse')
    .usage('<command> [arguments] [options]')
    .description('pulse: schedule and inspect tasks on a Pulse service.')
    .option(
      '--url <URL>',
      `Pulse API (env PULSE_URL; default: the running \`npm start\` from .pulse-data/service.json, else ${DEFAULT_URL})`,
    )
    .option('--api-key <KEY>', 'API key (env PULSE_API_KEY)')
    .option('--tenant <ID>', 'With an admin key: the tenant to act for (env PULSE_TENANT)')
    .option('--json', 'Print JSON on stdout, for scripts')
    .helpOption('-h, --help', 'Show help')
    .helpCommand('help [command]', 'Show help for a command')
    // Settings made before the subcommands are created are inherited by them.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (message, write) =>
        write(`pulse: ${message.trim().replace(/^error: /, '')}. Run 'pulse --help' for the commands.\n`),
    })
    .configureHelp({
      showGlobalOptions: true,
      // `--when WHEN`, not `--when <WHEN>`: the placeholder reads as what to type.
      optionTerm: (option) => option.flags.replace(/[<>]/g, ''),
      subcommandTerm: (command) =>
        [
          commandPath(command),
          ...command.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)),
        ].join(' '),
    })
    .addHelpText('after', `\n${EXAMPLES}`)
    .addHelpText('afterAll', ({ error, command }) => {
      // Commander shows the help on stderr when a command that needs a subcommand got none.
      if (error) {
        const what = command.parent
          ? `${command.name()} needs ${command.commands.map((c) => c.name()).join(' or ')}`
          : 'no command given';
        return `\n${EXIT_HELP}\n\npulse: ${what}.`;
      }
      return `\n${EXIT_HELP}`;
    });
  addScheduleCommands(program, action);
  addTaskCommands(program, action);
  addInspectCommands(program, action);
  addCalendarCommand(program, action);
  addTenantsCommand(program, action);
  return program;
}

/** Runs one CLI invocation; resolves to its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const err = (text: string) => io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  let exitCode: number = ExitCode.Ok;

  const action: Action =
    (handler) =>
    async (...params) => {
      // Commander passes the positional arguments, the options and last the command itself.
      const command = params.at(-1) as Command;
      const values: Values = command.optsWithGlobals();
      const jsonMode = values.json === true;
      const explicitUrl = str(values, 'url') ?? (io.env.PULSE_URL || undefined);
      const discovered = explicitUrl === undefined ? io.discover?.() : undefined;
      const apiKey =
        str(values, 'apiKey') ??
        (io.env.PULSE_API_KEY || undefined) ??
        (discovered?.state === 'running' && discovered.info.auth ? discoveredKey(discovered) : undefined);
      const tenant = str(values, 'tenant') ?? (io.env.PULSE_TENANT || undefined);
      if (discovered?.state === 'stale') {
        // Never fall back to whatever answers on the default port: it may be another Pulse.
        err(
          jsonMode
            ? JSON.stringify({ error: { code: 'STALE_SERVICE_FILE', detail: staleMessage(discovered) } })
            : `error: ${staleMessage(discovered)}`,
        );
        exitCode = ExitCode.Unreachable;
        return;
      }
      const baseUrl =
        explicitUrl ?? (discovered?.state === 'running' ? discovered.info.api_url : DEFAULT_URL);
      // A 401 says where a key goes: the user may not know this service wants one.
      const keyHint = apiKey
        ? 'The API key given (--api-key or PULSE_API_KEY) is not one this Pulse accepts.'
        : discovered?.state === 'running'
          ? `The Pulse at ${baseUrl} (from ${discovered.file}) wants an API key: set PULSE_API_KEY or --api-key.`
          : `The Pulse at ${baseUrl} wants an API key: set PULSE_API_KEY or --api-key.`;
      let client: PulseClient | undefined;
      const ctx: Context = {
        values,
        env: io.env,
        args: command.args,
        client: () => {
          try {
            client ??= new PulseClient({
              baseUrl,
              ...(apiKey ? { apiKey } : {}),
              ...(tenant ? { tenant } : {}),
              ...(io.fetch ? { fetch: io.fetch } : {}),
            });
          } catch (error) {
            throw new UsageError(error instanceof Error ? error.message : String(error));
          }
          return client;
        },
        emit: (value, human) => out(jsonMode ? JSON.stringify(value, null, 2) : human()),
      };
      try {
        exitCode = (await handler(ctx)) ?? ExitCode.Ok;
      } catch (error) {
        if (error instanceof UsageError) command.error(error.message, { exitCode: ExitCode.Usage });
        if (error instanceof NotFoundHereError) {
          err(
            jsonMode
              ? JSON.stringify({ error: { code: 'NOT_FOUND', detail: error.message } })
              : `error: ${error.message}`,
          );
          exitCode = ExitCode.NotFound;
          return;
        }
        exitCode = reportError(error, jsonMode, err);
        if (keyHint && error instanceof PulseApiError && error.status === 401 && !jsonMode) err(keyHint);
      }
    };

  try {
    await createProgram(io, action).parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // Help asked for exits 0; every other stop of commander's (an unknown option, a missing argument) is usage.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    throw error;
  }
  return exitCode;
}
