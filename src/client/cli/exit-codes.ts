/**
 * How a `pulse` invocation ends: its exit codes, and the message an error prints (JSON on stderr with `--json`).
 */
import { PulseApiError, PulseConnectionError, PulseNotFoundError } from '../errors.js';

/** What each exit code means; scripts can rely on these. */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  Usage: 2,
  NotFound: 3,
  Rejected: 4,
  Unreachable: 5,
} as const;

export const EXIT_HELP =
  'Exit codes: 0 ok, 1 unexpected error, 2 usage error, 3 not found, 4 request rejected by the API (4xx),\n' +
  '            5 cannot connect (or the service cannot reach Temporal).';

/** Writes `error` to stderr as the CLI reports it; returns the exit code it means. */
export function reportError(error: unknown, jsonMode: boolean, err: (text: string) => void): number {
  if (error instanceof PulseApiError) {
    if (jsonMode) {
      err(
        JSON.stringify({
          error: { status: error.status, code: error.code, detail: error.detail, errors: error.errors },
        }),
      );
    } else {
      // A field message the detail already quotes is not worth a second line.
      const fieldLines = error.errors
        .filter((e) => !error.detail.includes(e.message))
        .map((e) => `  - ${e.field}: ${e.message}`);
      err([`error: ${error.detail} [${error.code}, HTTP ${error.status}]`, ...fieldLines].join('\n'));
    }
    if (error instanceof PulseNotFoundError) return ExitCode.NotFound;
    if (error.status === 503) return ExitCode.Unreachable;
    return error.status >= 400 && error.status < 500 ? ExitCode.Rejected : ExitCode.Unexpected;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof PulseConnectionError) {
    err(
      jsonMode
        ? JSON.stringify({ error: { code: 'CONNECTION_FAILED', detail: message } })
        : `error: ${message}`,
    );
    if (!jsonMode) err('Check --url or PULSE_URL, and that the Pulse API is running (`npm start`).');
    return ExitCode.Unreachable;
  }
  err(jsonMode ? JSON.stringify({ error: { code: 'UNEXPECTED', detail: message } }) : `error: ${message}`);
  return ExitCode.Unexpected;
}
