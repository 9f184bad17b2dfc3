import { DockerRuntime } from '../runtime/docker.js';
import type { EngineContainer } from '../runtime/types.js';
import { runningLabs } from './find.js';
import { LABEL } from '../labels.js';

export interface LabStatus {
  lab: string;
  scenario: string;
  /** Where its scenario came from (`builtin:rr-basic`, a file path), as its labels say. */
  source: string | null;
  nodes: Array<{ node: string; role: string; state: string; addresses: Record<string, string> }>;
}

/** `lab status`: each running lab and its nodes (by name), from the labels of its lab-made containers. */
export async function labStatus(): Promise<LabStatus[]> {
  const runtime = await DockerRuntime.connect();
  return [...(await runningLabs(runtime)).entries()].map(([name, containers]) => ({
    lab: name,
    scenario: containers[0]?.labels[LABEL.scenario] ?? name,
    source: containers[0]?.labels[LABEL.source] ?? null,
    nodes: containers.map(nodeStatus).sort((a, b) => a.node.localeCompare(b.node)),
  }));
}

const nodeStatus = (c: EngineContainer): LabStatus['nodes'][number] => ({
  node: c.labels[LABEL.node] ?? c.name,
  role: c.labels[LABEL.role] ?? '?',
  state: c.state,
  addresses: c.addresses,
});
