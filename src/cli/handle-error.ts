import { CommanderError } from 'commander';
import { ExitCode, LabError, usageError } from '../errors.js';
import { helpHint } from './help.js';
import { writeJson } from './output.js';

const BUG_HINT = 'This is a bug in lab: please report it with the command you ran.';

/**
 * The one place errors become output and exit codes: 2 for usage and input, 3 for a missing environment,
 * 1 for a failed check or step or an unexpected error. Every error ends with a `fix:` line (a usage error
 * without its own gets the command's --help); with --json it is the command's document with `ok: false`.
 * Never a stack trace.
 */
export function handleError(err: unknown, context: { json: boolean; commandPath: string[] }): number {
  // --help and --version end parsing with commander's own output and exit code 0.
  if (err instanceof CommanderError && err.exitCode === 0) return ExitCode.ok;
  const error = asLabError(err, context.commandPath);
  const hint = error.hint ?? helpHint(context.commandPath);
  if (context.json) {
    const { message, details, exitCode } = error;
    writeJson(context.commandPath, { ok: false, error: { message, details, hint, exitCode } });
  } else {
    const details = error.details.map((d) => `  ${d.split('\n').join('\n  ')}`);
    const lines = [`error: ${error.message}`, ...details, `fix: ${hint}`];
    process.stderr.write(`${lines.join('\n')}\n`);
  }
  return error.exitCode;
}

function asLabError(err: unknown, commandPath: string[]): LabError {
  if (err instanceof LabError) return err;
  if (err instanceof CommanderError) {
    // A command group run bare (`lab`, `lab rs`): commander has printed its help on stderr.
    if (err.code === 'commander.help') {
      return usageError(`${['lab', ...commandPath].join(' ')} needs a command (listed in the help above).`);
    }
    // commander's own usage errors: "error: missing required argument 'scenario'", maybe "(Did you mean ...?)" below.
    const [first = '', ...rest] = err.message.replace(/^error: /, '').split('\n');
    return usageError(first, undefined, rest.filter((line) => line !== ''));
  }
  const message = `unexpected: ${err instanceof Error ? err.message : String(err)}`;
  return new LabError(message, { exitCode: ExitCode.checkFailed, hint: BUG_HINT });
}
