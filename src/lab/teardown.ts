import type { DockerRuntime } from '../runtime/docker.js';
import { LABEL, labMade } from './labels.js';

export interface TeardownResult {
  containers: string[];
  networks: string[];
  seconds: number;
}

/**
 * Removes the lab-made containers and networks of one lab, or of every lab, and nothing else (not a
 * look-alike carrying only the lab label). Works from labels alone and finds nothing the second time.
 */
export async function teardown(runtime: DockerRuntime, lab: string | 'all'): Promise<TeardownResult> {
  const started = performance.now();
  const filter = lab === 'all' ? labMade() : labMade({ key: LABEL.lab, value: lab });
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
