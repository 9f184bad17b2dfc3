import { CommanderError } from 'commander';
import { ExitCode, LabError } from '../errors.js';

/**
 * The one place errors become output and exit codes: 2 for usage and input, 3 for a missing environment,
 * 1 for a failed check or step; an unexpected error prints its stack and exits 1.
 */
export function handleError(err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help / version text).
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof LabError) {
    if (json) {
      process.stdout.write(`${JSON.stringify({ ok: false, error: { message: err.message, details: err.details, hint: err.hint ?? null, exitCode: err.exitCode } }, null, 2)}\n`);
    } else {
      const lines = [`error: ${err.message}`, ...err.details.map((d) => `  ${d.split('\n').join('\n  ')}`)];
      if (err.hint) lines.push(`fix: ${err.hint}`);
      process.stderr.write(`${lines.join('\n')}\n`);
    }
    return err.exitCode;
  }
  process.stderr.write(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return ExitCode.checkFailed;
}
