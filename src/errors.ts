/** Exit codes of `lab`, documented in the README. */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  environment: 3,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM: 128 + the signal's number, as a shell reports it. */
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one error type `lab` shows to people: what went wrong, what to do about it,
 * and the exit code that tells a CI job which kind of failure it was.
 */
export class LabError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;
  readonly details: string[];

  constructor(message: string, opts: { hint?: string; exitCode: ExitCodeValue; details?: string[] }) {
    super(message);
    this.name = 'LabError';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode;
    this.details = opts.details ?? [];
  }
}

export const usageError = (message: string, hint?: string, details?: string[]) =>
  new LabError(message, { hint, details, exitCode: ExitCode.usage });

export const environmentError = (message: string, hint?: string, details?: string[]) =>
  new LabError(message, { hint, details, exitCode: ExitCode.environment });
