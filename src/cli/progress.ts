// ora is loaded only where a spinner is drawn: `lab list`, `--help` and `--dry-run` never pay for it.
import type { Ora } from 'ora';
import { StepRecorder, type RecordedStep, type StepOutcome, type UpListener } from '../lab/events.js';
import { stepWhere } from '../plan/format.js';
import { PHASES, type Phase, type Step } from '../plan/types.js';

export interface Progress extends UpListener {
  finish(ok: boolean): void;
}

const secs = (s: number) => `${s.toFixed(1)} s`;

/**
 * ora would put the terminal in raw mode to discard typing, and then never read it: Ctrl-C became a
 * character nobody saw, not a SIGINT, and an interrupt during a spinner did nothing. Keep the terminal as it is.
 */
const KEEP_CTRL_C = { discardStdin: false } as const;

/** A terminal: one spinner line per phase, showing the command it is running. */
class SpinnerProgress implements Progress {
  private spinner: Ora | undefined;
  constructor(private readonly ora: typeof import('ora').default) {}
  private phaseTitle = '';
  private phaseStarted = 0;

  phase(phase: Phase): void {
    this.closePhase(true);
    this.phaseTitle = PHASES[phase];
    this.phaseStarted = performance.now();
    this.spinner = this.ora({ text: this.phaseTitle, stream: process.stderr, ...KEEP_CTRL_C }).start();
  }
  stepStart(step: Step): void {
    if (!this.spinner) return;
    const room = (process.stderr.columns ?? 100) - this.phaseTitle.length - 20;
    this.spinner.text = `${this.phaseTitle}  [${stepWhere(step)}] ${step.command.slice(0, room)}`;
  }
  stepDone(): void {}
  stepFailed(step: Step): void {
    this.spinner?.fail(`${this.phaseTitle}: failed on ${stepWhere(step)}`);
    this.spinner = undefined;
  }
  note(message: string): void {
    if (this.spinner) this.spinner.info(message);
    else process.stderr.write(`${message}\n`);
  }
  finish(ok: boolean): void {
    this.closePhase(ok);
  }
  private closePhase(ok: boolean): void {
    if (!this.spinner) return;
    const text = `${this.phaseTitle} (${secs((performance.now() - this.phaseStarted) / 1000)})`;
    if (ok) this.spinner.succeed(text);
    else this.spinner.fail(text);
    this.spinner = undefined;
  }
}

/** Logs and `-v`: a line per phase and per command; verbose adds each command's output. */
class LineProgress implements Progress {
  constructor(private readonly verbose: boolean) {}
  phase(phase: Phase): void {
    process.stderr.write(`==> ${PHASES[phase]}\n`);
  }
  stepStart(step: Step): void {
    process.stderr.write(`  [${stepWhere(step)}] $ ${step.command}\n`);
  }
  stepDone(_step: Step, outcome: StepOutcome): void {
    if (this.verbose) this.printOutput(outcome);
  }
  stepFailed(_step: Step, outcome: StepOutcome): void {
    this.printOutput(outcome);
  }
  note(message: string): void {
    process.stderr.write(`${message}\n`);
  }
  finish(): void {}
  private printOutput(outcome: StepOutcome): void {
    const out = `${outcome.stdout ?? ''}${outcome.stderr ?? ''}`.trimEnd();
    if (out) process.stderr.write(`${out.split('\n').map((l) => `      ${l}`).join('\n')}\n`);
    const exit = outcome.exitCode !== undefined ? `exit ${outcome.exitCode}, ` : '';
    process.stderr.write(`      (${exit}${secs(outcome.seconds)})\n`);
  }
}

/** The steps a `--json` run recorded, for its document; none for the terminal's kinds of progress. */
export const recordedSteps = (progress: Progress): RecordedStep[] =>
  progress instanceof StepRecorder ? progress.steps : [];

export async function createProgress(opts: { json: boolean; verbose: boolean }): Promise<Progress> {
  // --json: nothing on the terminal while it runs; the steps go into the final document.
  if (opts.json) return new StepRecorder();
  if (opts.verbose || !process.stderr.isTTY) return new LineProgress(opts.verbose);
  return new SpinnerProgress((await import('ora')).default);
}

/** A single spinner (or a plain line off a terminal) around one long task. */
export async function withSpinner<T>(text: string, task: () => Promise<T>, quiet = false): Promise<T> {
  if (quiet) return task();
  if (!process.stderr.isTTY) {
    process.stderr.write(`${text}...\n`);
    return task();
  }
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: process.stderr, ...KEEP_CTRL_C }).start();
  try {
    const result = await task();
    spinner.succeed();
    return result;
  } catch (err) {
    spinner.fail();
    throw err;
  }
}
