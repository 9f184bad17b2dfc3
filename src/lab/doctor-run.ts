import type { DoctorCheck } from '../doctor/checks.js';
import { ProbeSession } from '../doctor/probes.js';
import { runDoctor } from '../doctor/run.js';
import { LabError } from '../errors.js';
import { DockerRuntime } from '../runtime/docker.js';
import { ASSUMED_FACTS, resolveAuto } from '../scenario/auto.js';
import type { ScenarioOverrides } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import { resolveOnEngine } from './engine-facts.js';
import type { UpListener } from './events.js';
import { catchInterrupts, signalExitCode } from './interrupts.js';
import { requestedScenario } from './scenario-of.js';

export interface DoctorRun {
  /** The scenario as checked: overrides applied, `auto` decided. */
  scenario: Scenario;
  checks: DoctorCheck[];
  seconds: number;
}

/**
 * `lab doctor`: the checks for a scenario with the command line's overrides, its `auto` settings decided as
 * `lab up` would on this engine (or, without one, as the tutorial's choice). No engine is a failing row, not
 * an error. An interrupt removes the probe containers in flight and throws (exit 130/143).
 */
export async function checkEnvironment(
  ref: string,
  overrides: ScenarioOverrides,
  listener: Pick<UpListener, 'note'>,
): Promise<DoctorRun> {
  const requested = (await requestedScenario(ref, overrides)).scenario;
  const started = performance.now();
  const engine = await connectOrWhyNot();
  const probes = engine instanceof DockerRuntime ? new ProbeSession(engine) : undefined;
  const { scenario, checks } = await untilInterrupted(probes, async () => {
    // `auto` is checked as `lab up` would decide it on this engine (as the tutorial's choice without one).
    const resolved = engine instanceof DockerRuntime
      ? await resolveOnEngine(engine, requested, probes)
      : resolveAuto(requested, ASSUMED_FACTS);
    resolved.notes.forEach((n) => listener.note(`note: ${n}`));
    const checks = await runDoctor(engine, resolved.scenario, probes ? { probes } : {});
    return { scenario: resolved.scenario, checks };
  });
  return { scenario, checks, seconds: (performance.now() - started) / 1000 };
}

/** The engine, or why it does not answer: no engine is the doctor's failing `docker` row, not an error. */
async function connectOrWhyNot(): Promise<DockerRuntime | LabError> {
  try {
    return await DockerRuntime.connect();
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    return err;
  }
}

/**
 * A probe container lives a second or two; an interrupt in that window must not leave it behind, nor may a
 * probe be created after the ones in flight were removed.
 */
async function untilInterrupted<T>(probes: ProbeSession | undefined, task: () => Promise<T>): Promise<T> {
  const interrupts = catchInterrupts();
  let signalled = false;
  try {
    const interrupted = interrupts.signal.then(async (signal): Promise<never> => {
      signalled = true;
      const exitCode = signalExitCode(signal);
      await probes?.interrupt(new LabError(`Interrupted by ${signal}.`, { exitCode }));
      throw new LabError(`Interrupted by ${signal}: removed the probe containers in flight.`, {
        exitCode,
        hint: 'Nothing of this check is left; run `lab doctor` again when ready.',
      });
    });
    const result = await Promise.race([task(), interrupted]);
    // A probe refused by the interrupt ends the checks too, maybe first: the interrupt is still the outcome.
    return signalled ? await interrupted : result;
  } finally {
    interrupts.release();
  }
}
