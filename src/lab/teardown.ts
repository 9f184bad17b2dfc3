import type { DockerRuntime, LabelFilter } from '../runtime/docker.js';
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
  return removeSelected(runtime, lab === 'all' ? labMade() : labMade({ key: LABEL.lab, value: lab }));
}

/**
 * Removes what one `lab up` run made (its containers, networks and doctor probes: all carry its run
 * label), once every create it sent has been answered: a create still on its way would land after the list.
 */
export async function teardownRun(runtime: DockerRuntime, runId: string): Promise<TeardownResult> {
  await runtime.createsSettled();
  return removeSelected(runtime, [runFilter(runId)]);
}

/** What one run made, without removing it (for --keep-on-failure). */
export async function listRun(runtime: DockerRuntime, runId: string): Promise<Omit<TeardownResult, 'seconds'>> {
  await runtime.createsSettled();
  const [containers, networks] = await Promise.all([runtime.listContainers(runFilter(runId)), runtime.listNetworks(runFilter(runId))]);
  return { containers: containers.map((c) => c.name), networks: networks.map((n) => n.name) };
}

/** The run label alone selects: the id is random, so only that run's objects carry it. */
const runFilter = (runId: string): LabelFilter => ({ key: LABEL.run, value: runId });

async function removeSelected(runtime: DockerRuntime, filter: LabelFilter[]): Promise<TeardownResult> {
  const started = performance.now();
  const [containers, networks] = await Promise.all([runtime.listContainers(filter), runtime.listNetworks(filter)]);
  // Nothing in a lab container needs a graceful shutdown: every one killed at once (their network
  // namespaces go down together), then all removed at once, then the networks, which they no longer use.
  await Promise.all(containers.filter((c) => c.state === 'running').map((c) => runtime.killContainer(c.id)));
  await Promise.all(containers.map((c) => runtime.removeContainer(c.id)));
  await Promise.all(networks.map((n) => runtime.removeNetwork(n.id)));
  return {
    containers: containers.map((c) => c.name),
    networks: networks.map((n) => n.name),
    seconds: (performance.now() - started) / 1000,
  };
}
