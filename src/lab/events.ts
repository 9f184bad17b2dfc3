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
}
