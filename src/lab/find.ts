import { environmentError, usageError } from '../errors.js';
import type { DockerRuntime } from '../runtime/docker.js';
import type { EngineContainer } from '../runtime/types.js';
import { isFileReference, listBuiltinScenarios, loadScenario, validateScenario } from '../scenario/load.js';
import { upArguments } from '../scenario/instance.js';
import type { Scenario } from '../scenario/schema.js';
import { LABEL, labMade } from '../labels.js';

export interface RunningLab {
  name: string;
  scenario: Scenario;
  containers: EngineContainer[];
}

/** Running labs, grouped from the labels on their lab-made containers. */
export async function runningLabs(runtime: DockerRuntime): Promise<Map<string, EngineContainer[]>> {
  const labs = new Map<string, EngineContainer[]>();
  for (const c of await runtime.listContainers(labMade())) {
    const name = c.labels[LABEL.lab]!;
    labs.set(name, [...(labs.get(name) ?? []), c]);
  }
  return labs;
}

/** The `lab up` that starts a lab not running: of a scenario (built-in or file), or of an instance of one. */
function upCommandFor(ref: string): string {
  if (isFileReference(ref) || listBuiltinScenarios().includes(ref)) return `\`lab up ${ref}\``;
  return `\`lab up SCENARIO --name ${ref}\` (\`lab list\` shows the scenarios)`;
}

/** The lab a name or scenario file means: a file's lab is named after its scenario. */
export const labNameOf = async (ref: string): Promise<string> =>
  (isFileReference(ref) ? (await loadScenario(ref)).scenario.name : ref);

/**
 * The lab a command means: a lab name, a built-in scenario name or a scenario file (its name), or, with
 * nothing given, the only lab running. Its scenario comes from its labels, i.e. what is really running.
 */
export async function findLab(runtime: DockerRuntime, ref: string | undefined): Promise<RunningLab> {
  if (ref?.trim() === '') {
    const fix = 'Name a running lab (`lab status` lists them), or give none to mean the only one running.';
    throw usageError('A lab name cannot be empty.', fix);
  }
  const labs = await runningLabs(runtime);
  const name = ref === undefined ? onlyLab(labs) : await labNameOf(ref);
  const containers = labs.get(name);
  if (!containers) {
    const fix = `Start it with ${upCommandFor(ref ?? name)}; \`lab status\` lists running labs.`;
    throw environmentError(`Lab ${name} is not running.`, fix);
  }
  const json = containers.find((c) => c.labels[LABEL.scenarioJson])?.labels[LABEL.scenarioJson];
  if (!json) {
    const fix = `It was not made by this version of lab; remove it with \`lab teardown ${name}\` ` +
      'and bring it up again.';
    throw environmentError(`Lab ${name}'s containers carry no scenario label.`, fix);
  }
  return { name, scenario: validateScenario(JSON.parse(json), `the labels of lab ${name}`), containers };
}

/** The name of the only running lab; none or several is an error saying what to do. */
function onlyLab(labs: Map<string, EngineContainer[]>): string {
  const names = [...labs.keys()];
  if (names.length === 0) {
    throw environmentError('No lab is running.', 'Start one with `lab up rr-basic` (`lab list` shows the scenarios).');
  }
  if (names.length > 1) {
    const fix = 'Name the one you mean, e.g. `lab verify rr-basic`.';
    throw usageError(`${names.length} labs are running: ${names.join(', ')}.`, fix);
  }
  return names[0]!;
}

/** A node as commands take it: `rs1`, or `alice rs1` (lab first) where several labs have an rs1. */
export interface NodeTarget {
  lab?: string | undefined;
  node: string;
}

/**
 * The container of a node (`rs1`) of a lab: a lab-made container carrying its node label, never a look-alike
 * with the node label alone. Without a lab, the node's only lab: several instances hold an `rs1` each.
 */
export async function findNodeContainer(runtime: DockerRuntime, node: string, lab?: string): Promise<EngineContainer> {
  const labName = lab === undefined ? undefined : await labNameOf(lab);
  const all = await runtime.listContainers(labMade({ key: LABEL.node, value: node }));
  const matches = all.filter((c) => labName === undefined || c.labels[LABEL.lab] === labName);
  if (matches.length === 0) {
    const labs = await runningLabs(runtime);
    const known = [...labs.entries()]
      .filter(([name]) => labName === undefined || name === labName)
      // A lab-made container without a node label (a run's throwaway) is no node to offer.
      .flatMap(([name, containers]) => containers.filter((c) => c.labels[LABEL.node])
        .map((c) => `${c.labels[LABEL.node]} (lab ${name})`));
    const fix = known.length
      ? `Running nodes: ${known.join(', ')}.`
      : labName === undefined ? 'No lab is running: start one with `lab up rr-basic`.' : `\`lab status\` lists the running labs.`;
    throw usageError(`No lab node named ${node}${labName === undefined ? '' : ` in lab ${labName}`}.`, fix);
  }
  const labsOfNode = [...new Set(matches.map((c) => c.labels[LABEL.lab]!))].sort();
  if (labsOfNode.length > 1) {
    throw usageError(
      `Node ${node} is in ${labsOfNode.length} labs: ${labsOfNode.join(', ')}.`,
      `Name its lab before the node, e.g. \`lab exec ${labsOfNode[0]} ${node} -- hostname\` ` +
        `or \`lab shell ${labsOfNode[0]} ${node}\`.`,
    );
  }
  const container = matches[0]!;
  if (container.state !== 'running') {
    const own = container.labels[LABEL.lab]!;
    const json = container.labels[LABEL.scenarioJson]!;
    const again = upArguments(validateScenario(JSON.parse(json), `the labels of lab ${own}`));
    const fix = `Bring the lab up again: \`lab teardown ${own}\` then \`lab up ${again}\`.`;
    throw environmentError(`Node ${node} is not running (state: ${container.state}).`, fix);
  }
  return container;
}
