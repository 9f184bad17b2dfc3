import { DockerRuntime } from '../runtime/docker.js';
import type { EngineContainer } from '../runtime/types.js';
import { runningLabs } from './find.js';
import { LABEL } from '../labels.js';

export interface LabStatus {
  /** The lab's name: an instance's own (`lab up rr-basic --name alice`), else its scenario's. */
  lab: string;
  scenario: string;
  /** Where its scenario came from (`builtin:rr-basic`, a file path), as its labels say. */
  source: string | null;
  /** Its networks and their subnets, as its scenario label says (an instance's were picked on the engine). */
  networks: Array<{ name: string; subnet: string }>;
  nodes: Array<{ node: string; container: string; role: string; state: string; addresses: Record<string, string> }>;
}

/** `lab status`: each running lab, its subnets and its nodes (by name), from the labels of its lab-made containers. */
export async function labStatus(): Promise<LabStatus[]> {
  const runtime = await DockerRuntime.connect();
  return [...(await runningLabs(runtime)).entries()].map(([name, containers]) => ({
    lab: name,
    scenario: containers[0]?.labels[LABEL.scenario] ?? name,
    source: containers[0]?.labels[LABEL.source] ?? null,
    networks: networksOf(containers),
    nodes: containers.map(nodeStatus).sort((a, b) => a.node.localeCompare(b.node)),
  }));
}

/** The networks the scenario label names; none from a label that does not parse (status still lists the nodes). */
function networksOf(containers: EngineContainer[]): LabStatus['networks'] {
  try {
    const scenario = JSON.parse(containers[0]?.labels[LABEL.scenarioJson] ?? '{}') as { networks?: LabStatus['networks'] };
    return (scenario.networks ?? []).map(({ name, subnet }) => ({ name, subnet }));
  } catch {
    return [];
  }
}

const nodeStatus = (c: EngineContainer): LabStatus['nodes'][number] => ({
  node: c.labels[LABEL.node] ?? c.name,
  container: c.name,
  role: c.labels[LABEL.role] ?? '?',
  state: c.state,
  addresses: c.addresses,
});
