import { LabError } from '../errors.js';
import { DockerRuntime } from '../runtime/docker.js';
import { applyOverrides, type ScenarioOverrides } from '../scenario/model.js';
import { isFileReference, loadScenario, type LoadedScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { findLab, runningLabs } from './find.js';

/** The scenario `up` and `doctor` are asked for: the file or built-in one, with the command line's overrides. */
export async function requestedScenario(ref: string, overrides: ScenarioOverrides): Promise<LoadedScenario> {
  const loaded = await loadScenario(ref);
  return { ...loaded, scenario: applyOverrides(loaded.scenario, overrides) };
}

export interface ScenarioWithOrigin {
  scenario: Scenario;
  /**
   * In words, for the user: `file /x/my-lab.yaml`, `built-in scenario rr-basic`,
   * `running lab rr-basic (its labels)`.
   */
  origin: string;
}

/**
 * The scenario a reader-only command (graph) means: a file is read as it is, without Docker; a name is the
 * running lab of that name if there is one (what really runs, from its labels), else the built-in scenario;
 * nothing is the only running lab. Without a Docker engine, names are built-in scenarios.
 */
export async function scenarioOf(
  ref: string | undefined,
  connect: () => Promise<DockerRuntime> = () => DockerRuntime.connect(),
): Promise<ScenarioWithOrigin> {
  if (ref !== undefined && isFileReference(ref)) {
    const loaded = await loadScenario(ref);
    return { scenario: loaded.scenario, origin: `file ${loaded.source}` };
  }
  const runtime = await connect().catch((err: unknown) => {
    const fix = 'Name a scenario to draw it without Docker, e.g. `lab graph rr-basic`, or start the engine.';
    if (ref === undefined) throw withHint(err, fix);
    return undefined;
  });
  if (runtime && (ref === undefined || (await runningLabs(runtime)).has(ref))) {
    const lab = await findLab(runtime, ref);
    return { scenario: lab.scenario, origin: `running lab ${lab.name} (its labels)` };
  }
  return { scenario: (await loadScenario(ref!)).scenario, origin: `built-in scenario ${ref}` };
}

function withHint(err: unknown, hint: string): unknown {
  if (!(err instanceof LabError)) return err;
  return new LabError(err.message, { exitCode: err.exitCode, details: err.details, hint });
}
