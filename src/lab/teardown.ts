import type { DockerRuntime, LabelFilter } from '../runtime/docker.js';
import { LABEL } from './labels.js';

export interface TeardownResult {
  containers: string[];
  networks: string[];
  seconds: number;
}

/**
 * Removes the containers and networks that carry the lab label (one lab, or every lab), and nothing else.
 * Works from labels alone and finds nothing the second time.
 */
export async function teardown(runtime: DockerRuntime, lab: string | 'all'): Promise<TeardownResult> {
  const started = performance.now();
  const filter: LabelFilter = lab === 'all' ? { key: LABEL.lab } : { key: LABEL.lab, value: lab };
  const containers = await runtime.listContainers(filter);
  // Force-removal kills at once: nothing in a lab container needs a graceful shutdown.
  await Promise.all(containers.map((c) => runtime.removeContainer(c.id)));
  const networks = await runtime.listNetworks(filter);
  for (const n of networks) await runtime.removeNetwork(n.id);
  return {
    containers: containers.map((c) => c.name),
    networks: networks.map((n) => n.name),
    seconds: (performance.now() - started) / 1000,
  };
}
