import { stepWhere } from '../plan/format.js';
import type { Phase, Step } from '../plan/types.js';

export interface StepOutcome {
  exitCode?: number | undefined;
  stdout?: string | undefined;
  stderr?: string | undefined;
  seconds: number;
}

/** What `up` tells its caller as it goes; the CLI turns it into spinners, lines or JSON. */
export interface UpListener {
  phase(phase: Phase): void;
  stepStart(step: Step): void;
  stepDone(step: Step, outcome: StepOutcome): void;
  stepFailed(step: Step, outcome: StepOutcome): void;
  note(message: string): void;
  /** The steps are over, done or failed; what a use case does next (verify) is not a step. */
  finish?(ok: boolean): void;
}

/** A step as it ran: what `--json` documents and the live page show. */
export interface RecordedStep {
  phase: Phase;
  node: string;
  command: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  ok: boolean;
}

/** A listener that shows nothing and keeps every step that ran, with its output. */
export class StepRecorder implements UpListener {
  readonly steps: RecordedStep[] = [];
  readonly notes: string[] = [];
  phase(): void {}
  stepStart(): void {}
  stepDone(step: Step, outcome: StepOutcome): void {
    this.record(step, outcome, true);
  }
  stepFailed(step: Step, outcome: StepOutcome): void {
    this.record(step, outcome, false);
  }
  note(message: string): void {
    this.notes.push(message);
  }
  finish(): void {}
  private record(step: Step, o: StepOutcome, ok: boolean): void {
    this.steps.push({
      phase: step.phase,
      node: stepWhere(step),
      command: step.command,
      exitCode: o.exitCode ?? null,
      stdout: o.stdout ?? '',
      stderr: o.stderr ?? '',
      seconds: Number(o.seconds.toFixed(3)),
      ok,
    });
  }
}

/**
 * One long task the caller may show while it runs (a spinner, a line): it runs `task` and passes its result
 * or error on. Use cases with a single slow part (verify, an image build) report through it.
 */
export type ShowTask = <T>(title: string, task: () => Promise<T>) => Promise<T>;

/** Shows nothing: the task as it is. */
export const quietly: ShowTask = (_title, task) => task();

/** Runs the steps of `task`, then tells `listener` they are over, and how they ended. */
export async function finishing<T>(listener: UpListener, task: () => Promise<T>): Promise<T> {
  try {
    const result = await task();
    listener.finish?.(true);
    return result;
  } catch (err) {
    listener.finish?.(false);
    throw err;
  }
}
