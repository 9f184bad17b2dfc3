import { environmentError, usageError } from '../errors.js';
import type { DockerRuntime, LabelledContainer } from '../runtime/docker.js';
import { isFileReference, loadScenario, validateScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { LABEL, labMade } from './labels.js';

export interface RunningLab {
  name: string;
  scenario: Scenario;
  containers: LabelledContainer[];
}

/** Running labs, grouped from the labels on their lab-made containers. */
export async function runningLabs(runtime: DockerRuntime): Promise<Map<string, LabelledContainer[]>> {
  const labs = new Map<string, LabelledContainer[]>();
  for (const c of await runtime.listContainers(labMade())) {
    const name = c.labels[LABEL.lab]!;
    labs.set(name, [...(labs.get(name) ?? []), c]);
  }
  return labs;
}

/** The lab a name or scenario file means: a file's lab is named after its scenario. */
export const labNameOf = (ref: string): string => (isFileReference(ref) ? loadScenario(ref).scenario.name : ref);

/**
 * The lab a command means: a lab name, a built-in scenario name or a scenario file (its name), or, with
 * nothing given, the only lab running. Its scenario comes from its labels, i.e. what is really running.
 */
export async function findLab(runtime: DockerRuntime, ref: string | undefined): Promise<RunningLab> {
  if (ref?.trim() === '') throw usageError('A lab name cannot be empty.', 'Name a running lab (`lab status` lists them), or give none to mean the only one running.');
  const labs = await runningLabs(runtime);
  let name: string;
  if (ref === undefined) {
    if (labs.size === 0) throw environmentError('No lab is running.', 'Start one with `lab up rr-basic` (`lab list` shows the scenarios).');
    if (labs.size > 1) throw usageError(`${labs.size} labs are running: ${[...labs.keys()].join(', ')}.`, 'Name the one you mean, e.g. `lab verify rr-basic`.');
    name = [...labs.keys()][0]!;
  } else {
    name = labNameOf(ref);
  }
  const containers = labs.get(name);
  if (!containers) throw environmentError(`Lab ${name} is not running.`, `Start it with \`lab up ${ref ?? name}\`; \`lab status\` lists running labs.`);
  const json = containers.find((c) => c.labels[LABEL.scenarioJson])?.labels[LABEL.scenarioJson];
  if (!json) throw environmentError(`Lab ${name}'s containers carry no scenario label.`, `It was not made by this version of lab; remove it with \`lab teardown ${name}\` and bring it up again.`);
  return { name, scenario: validateScenario(JSON.parse(json), `the labels of lab ${name}`), containers };
}

/**
 * The container of a node: a lab-made container carrying its node label, never a look-alike with the node
 * label alone (node names are unique across running labs: they are container names).
 */
export async function findNodeContainer(runtime: DockerRuntime, node: string): Promise<LabelledContainer> {
  const matches = await runtime.listContainers(labMade({ key: LABEL.node, value: node }));
  if (matches.length === 0) {
    const labs = await runningLabs(runtime);
    const known = [...labs.values()].flat().map((c) => c.labels[LABEL.node]).filter(Boolean);
    throw usageError(`No lab node named ${node}.`, known.length ? `Running nodes: ${known.join(', ')}.` : 'No lab is running: start one with `lab up rr-basic`.');
  }
  const container = matches[0]!;
  if (container.state !== 'running') throw environmentError(`Node ${node} is not running (state: ${container.state}).`, `Bring the lab up again: \`lab teardown ${container.labels[LABEL.lab]}\` then \`lab up ${container.labels[LABEL.lab]}\`.`);
  return container;
}
